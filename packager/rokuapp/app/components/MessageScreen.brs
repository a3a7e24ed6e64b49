sub init()
    m.top.screenName = "message"
    m.message = m.top.FindNode("message")
    m.countdown = m.top.FindNode("countdown")
    m.actions = m.top.FindNode("actions")
    m.message.color = m.global.textColor
    m.countdown.color = m.global.textColor
    m.actions.color = m.global.textColor
    m.actions.focusedColor = m.global.background
    m.actions.focusBitmapBlendColor = m.global.accent
    buttons = CreateObject("roSGNode", "ContentNode")
    buttons.CreateChild("ContentNode").title = "Try again now"
    m.actions.content = buttons
    m.actions.ObserveField("itemSelected", "onAction")
    m.ticker = CreateObject("roSGNode", "Timer")
    m.ticker.repeat = true
    m.ticker.duration = 1
    m.ticker.ObserveField("fire", "onTick")
end sub

sub onText()
    m.message.text = m.top.text
end sub

sub onRetryIn()
    m.left = m.top.retryIn
    showCountdown()
    m.ticker.control = "start"
end sub

sub onTick()
    if m.left > 0 then m.left = m.left - 1
    showCountdown()
end sub

sub showCountdown()
    if m.left > 0 then
        m.countdown.text = "Trying again in " + m.left.ToStr() + " s"
    else
        m.countdown.text = "Trying again…"
    end if
end sub

sub onTakeFocus()
    m.actions.SetFocus(true)
end sub

sub onAction()
    m.top.retry = true
end sub
