' Resume positions per item in the registry (shared by the scene and the player).

function bookmark(id as String) as Integer
    value = CreateObject("roRegistrySection", "bookmarks").Read(id)
    if value = "" then return 0
    return value.ToInt()
end function

sub saveBookmark(id as String, position as Integer, duration as Integer)
    if position < 10 then return
    section = CreateObject("roRegistrySection", "bookmarks")
    ' The last half minute counts as watched: the next Play starts over.
    if duration > 0 and position > duration - 30 then
        section.Delete(id)
    else
        section.Write(id, position.ToStr())
    end if
    section.Flush()
end sub

sub clearBookmark(id as String)
    section = CreateObject("roRegistrySection", "bookmarks")
    section.Delete(id)
    section.Flush()
end sub
