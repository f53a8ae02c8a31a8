"""Log layouts the engine turns into grok: log4j ``PatternLayout`` (its ``Log4jHelper``) and Apache
``LogFormat`` (its ``ApacheCustomLogHelper``), each read character by character as the engine
reads it, quirks included (an argument such as ``%{Referer}`` stays until a directive uses it).
"""

from __future__ import annotations

__all__ = ["LayoutError", "apache_to_grok", "log4j_to_grok", "strftime_to_java"]


class LayoutError(ValueError):
    """A layout the engine cannot translate (``LOG_PARSER_02``, or one the preview does not)."""


_TRAILING_SPACE = r"(?:\s*)"
_CONVERSIONS = {
    "c": "%{JAVACLASS:category}",
    "C": "%{JAVACLASS:class}",
    "F": "%{JAVAFILE:filename}",
    "l": "%{JAVASTACKTRACEPART:location}",
    "L": "%{NONNEGINT:line}",
    "m": "%{GREEDYDATA:message}",
    "n": r"\r?\n",
    "M": "%{WORD:method}",
    "p": "%{LOGLEVEL:severity}",
    "r": "%{INT:relativetime}",
    "t": "%{DATA:thread}",
    "x": "%{DATA:ndc}?",
}
_DATES = {
    "": "%{TIMESTAMP_ISO8601}",
    "ISO8601": "%{TIMESTAMP_ISO8601}",
    "ABSOLUTE": "%{HOUR}:%{MINUTE}:%{SECOND}",
    "DATE": "%{MONTHDAY} %{MONTH} %{YEAR} %{HOUR}:%{MINUTE}:%{SECOND}",
}


def log4j_to_grok(layout: str) -> str:
    """The grok expression the engine makes of a log4j ``PatternLayout`` (``Log4jHelper``).

    >>> log4j_to_grok("%-5p %c - %m%n")
    '^%{LOGLEVEL:severity}(?:\\\\s*) %{JAVACLASS:category} - %{GREEDYDATA:message}'
    """
    while layout.endswith("%n"):
        layout = layout[:-2]
    percent, following = 0, 2  # the engine's states (its LITERAL state is never entered)
    state = following
    regex: list[str] = []
    partial: list[str] = []
    left = right = False

    def unsupported() -> LayoutError:
        return LayoutError(f"LOG_PARSER_02 - Unsupported format {layout} encountered")

    def argument(index: int) -> str | None:
        if index < len(layout) and layout[index] == "{":
            end = layout.find("}", index + 1)
            return layout[index + 1 : end if end >= 0 else len(layout)]
        return None

    def conversion(pattern: str, char: str) -> None:
        nonlocal state
        if state == percent:
            partial.append(pattern + (_TRAILING_SPACE if right else ""))
            state = following
        elif state == following:
            partial.append(char)
        else:
            state = -1

    index = 0
    while index < len(layout):
        char = layout[index]
        if char == " ":
            regex.append("".join(partial) + " ")
            partial.clear()
            left = right = False
        elif char == "%":
            state = percent
        elif char == "-":
            if state == percent:
                right = True
            elif state == following:
                partial.append(char)
        elif char in "[]":
            if state == percent:
                raise unsupported()
            if state == following:
                partial.append("\\" + char)
        elif char in "0123456789":
            if state == percent:
                if not right and not left:
                    partial.append(_TRAILING_SPACE)
                    left = True
            elif state == following:
                partial.append(char)
            else:
                raise unsupported()
        elif char == ".":
            if state == following:
                partial.append("\\.")
            elif state != percent:
                raise unsupported()
        elif char in _CONVERSIONS:
            given = argument(index + 1)
            index += len(given) + 2 if given is not None else 0
            conversion(_CONVERSIONS[char], char)
        elif char == "X":
            index += 1  # the engine moves on past the next character even without an argument
            given = argument(index)
            if given is None:
                conversion(r"\{(?<mdc>(?:\{[^\}]*,[^\}]*\})*)\}", char)
            else:
                index += len(given) + 1
                conversion("%{DATA:" + given + "}?", char)
        elif char == "d":
            given = argument(index + 1)
            index += len(given) + 2 if given is not None else 0
            date = _DATES.get(given or "", f".{{{len(given or '')}}}")
            conversion(f"(?<timestamp>{date})", char)
        else:
            if state == percent:
                raise unsupported()
            partial.append(char)
        index += 1
    regex.append("".join(partial))
    return "^" + "".join(regex).strip()


_APACHE = {
    "a": "%{IP:remoteIpAddress}",
    "A": "%{IP:localIpAddress}",
    "B": "%{NUMBER:bytesSent}",
    "b": "(?:%{NUMBER:bytesSent}|-)",
    "C": "%{DATA:cookieContent}",
    "D": "%{NUMBER:timeToServeMicroSecs}",
    "e": "%{DATA:envContent}",
    "f": "%{JAVAFILE:filename}",
    "h": "%{IPORHOST:remoteHost}",
    "H": "HTTP/%{NUMBER:httpversion}",
    "k": "%{NUMBER:keepAlive}",
    "l": "%{USER:logName}",
    "m": "%{WORD:requestMethod}",
    "n": "%{DATA:note}",
    "o": "%{DATA:contents}",
    "p": "%{NUMBER:canonicalPort}",
    "P": "%{NUMBER:childPid}",
    "q": "%{DATA:queryString}",
    "r": "%{DATA:request}",
    "R": "%{DATA:responseHandler}",
    "s": "%{NUMBER:status}",
    "T": "%{NUMBER:timeToServeRequest}",
    "u": "%{USER:remoteUser}",
    "U": "%{NOTSPACE:urlPath}",
    "v": "%{HOST:canonicalServerName}",
    "V": "%{HOST:canonicalServerName}",
    "X": "%{WORD:connectionStatus}",
    "I": "%{NUMBER:bytesReceived}",
    "O": "%{NUMBER:bytesSent}",
}
_APACHE_RESETS = frozenset("CeinopPst")  # directives after which the engine forgets the argument
_APACHE_ARGUMENTS = {"p": ("canonical", "local", "remote"), "P": ("pid", "tid", "hextid")}


def apache_to_grok(layout: str) -> str:
    """The grok expression the engine makes of an Apache ``LogFormat`` (``ApacheCustomLogHelper``).

    An argument (``%{Referer}i``, ``%>s``) stays until a directive that uses it, as in the engine.

    >>> print(apache_to_grok('%h %l %u [%t] "%r" %>s %b'))
    ^%{IPORHOST:remoteHost} %{USER:logName} %{USER:remoteUser} \\[(?<requestTime>%{HTTPDATE})\\]
    "%{DATA:request}" %{NUMBER:status} (?:%{NUMBER:bytesSent}|-)
    """
    percent, following = 0, 2  # the engine's states (its LITERAL state is never entered)
    state = following
    regex: list[str] = []
    partial: list[str] = []
    argument: str | None = None

    def unsupported() -> LayoutError:
        return LayoutError(f"LOG_PARSER_02 - Unsupported format {layout} encountered")

    index = 0
    while index < len(layout):
        char = layout[index]
        if char == " ":
            regex.append("".join(partial) + " ")
            partial.clear()
        elif char == "%":
            state = percent
            index += 1
            if index < len(layout) and layout[index] == "{":
                end = layout.find("}", index + 1)
                end = len(layout) if end < 0 else end
                argument = layout[index + 1 : end]
                index = end
            elif index < len(layout) and layout[index] in "<>":
                argument = layout[index]
            if argument is None:
                index -= 1
        elif char in "-[]":
            if state == percent:
                raise unsupported()
            if state == following:
                partial.append(char if char == "-" else "\\" + char)
        elif char in "!,0123456789":
            if state == following:
                partial.append(char)
            elif state != percent:
                raise unsupported()
        elif char == ".":
            if state != following:
                raise unsupported()
            partial.append("\\.")
        elif char in _APACHE or char in "it":
            if char in _APACHE_ARGUMENTS and argument is not None and argument not in _APACHE_ARGUMENTS[char]:
                raise unsupported()
            if char == "i":
                pattern = {"Referer": "%{DATA:referer}", "User-agent": "%{DATA:userAgent}"}.get(
                    argument or "", "%{DATA:headerContent}"
                )
            elif char == "t":
                date = f".{{{len(strftime_to_java(argument))}}}" if argument else "%{HTTPDATE}"
                pattern = f"(?<requestTime>{date})"
            else:
                pattern = _APACHE[char]
            if state == percent:
                partial.append(pattern)
                state = following
            elif state == following:
                partial.append(char)
            else:
                state = -1
            if char in _APACHE_RESETS:
                argument = None
        else:
            if state == percent:
                raise unsupported()
            partial.append(char)
        index += 1
    regex.append("".join(partial))
    return "^" + "".join(regex).strip()


#: strftime conversions and the SimpleDateFormat text the engine's (Tomcat's) ``Strftime`` gives them.
_STRFTIME = {
    "a": "EEE",
    "A": "EEEE",
    "b": "MMM",
    "B": "MMMM",
    "c": "EEE MMM d HH:mm:ss yyyy",
    "d": "dd",
    "D": "MM/dd/yy",
    "e": "dd",
    "F": "yyyy-MM-dd",
    "g": "yy",
    "G": "yyyy",
    "H": "HH",
    "h": "MMM",
    "I": "hh",
    "j": "DDD",
    "k": "HH",
    "l": "hh",
    "m": "MM",
    "M": "mm",
    "n": "\n",
    "p": "a",
    "P": "a",
    "r": "hh:mm:ss a",
    "R": "HH:mm",
    "S": "ss",
    "t": "\t",
    "T": "HH:mm:ss",
    "V": "ww",
    "X": "HH:mm:ss",
    "x": "MM/dd/yy",
    "y": "yy",
    "Y": "yyyy",
    "Z": "z",
    "z": "Z",
    "%": "%",
}


def strftime_to_java(pattern: str) -> str:
    """The ``SimpleDateFormat`` pattern of a strftime pattern, as ``Strftime.convertDateFormat``
    makes it (literals quoted; an unknown ``%x`` kept as a literal). The engine matches an Apache
    ``%{format}t`` time as that many characters of any kind.

    >>> strftime_to_java("%a, %d %b %y %T %z")
    "EEE', 'dd MMM yy HH:mm:ss Z"
    """
    inside = mark = modified = False
    out: list[str] = []

    def translate(index: int, was_inside: bool) -> bool:
        first = pattern[index]
        if first in "OE":
            if index + 1 < len(pattern):
                return translate(index + 1, was_inside)
            out.append(f"%{first}" if was_inside else f"'%{first}'")
            return was_inside
        command = _STRFTIME.get(first)
        if command is None:  # not a conversion: a literal, as Apache treats it
            out.append(f"%{first}" if was_inside else f"'%{first}'")
            return was_inside
        if was_inside:
            out.append("'")
        out.append(command)
        return False

    for index, char in enumerate(pattern):
        if char == "%" and not mark:
            mark = True
        elif mark:
            if modified:  # the character after a modifier was translated with it
                modified = mark = False
            else:
                inside = translate(index, inside)
                if char in "OE":
                    modified = True
                else:
                    mark = False
        else:
            if not inside and char != " ":
                out.append("'")
                inside = True
            out.append(char)
    text = "".join(out)
    if text and text[-1] != "'" and inside:
        text += "'"
    return text
