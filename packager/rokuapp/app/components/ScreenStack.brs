' The screen stack (Roku's scenegraph-master-sample pattern): the top screen is visible
' and focused; Back closes it and shows the one below, focus where the viewer left it.

sub InitScreenStack()
    m.screenStack = []
end sub

sub ShowScreen(node as Object)
    previous = m.screenStack.Peek()
    if previous <> invalid then previous.visible = false
    m.screens.AppendChild(node)
    node.visible = true
    m.screenStack.Push(node)
    FocusTopScreen()
end sub

sub CloseScreen()
    if m.screenStack.Count() <= 1 then return
    last = m.screenStack.Pop()
    last.visible = false
    m.screens.RemoveChild(last)
    previous = m.screenStack.Peek()
    previous.visible = true
    FocusTopScreen()
end sub

' Back to the bottom screen (home), closing everything above it.
sub CloseToHome()
    while m.screenStack.Count() > 1
        last = m.screenStack.Pop()
        last.visible = false
        m.screens.RemoveChild(last)
    end while
    if m.screenStack.Count() = 1 then
        m.screenStack.Peek().visible = true
        FocusTopScreen()
    end if
end sub

sub FocusTopScreen()
    top = m.screenStack.Peek()
    if top = invalid then return
    top.SetFocus(true)
    top.takeFocus = true ' each screen puts focus back on its own list or button
    OnScreenChanged(top)
end sub

function TopScreen() as Dynamic
    return m.screenStack.Peek()
end function

' "home>series>details": the stack, bottom first.
function ScreenNames() as String
    names = ""
    for each screen in m.screenStack
        if names <> "" then names = names + ">"
        names = names + screen.screenName
    end for
    return names
end function
