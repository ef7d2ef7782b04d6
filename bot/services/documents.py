"""Files people send (the closing report's optional document): what is refused and how a file
name is made safe to store and show.

Refused: programs and scripts, by the name's last extension and by the MIME type Telegram
reports (either is enough: a renamed file keeps its type, a wrong type keeps its name), and
anything over 20 MB, the most a bot may download from Telegram. File names lose control and
format characters (Unicode Cc and Cf: a right-to-left override can make ``gpj.exe`` read as
``exe.jpg``) before they are stored or shown to staff.
"""

from __future__ import annotations

import unicodedata

from bot.i18n import _, format_number
from bot.services.ui import esc

MAX_MEGABYTES = 20
MAX_BYTES = MAX_MEGABYTES * 1024 * 1024  # Telegram's getFile limit for bots
MAX_NAME = 200

_PROGRAM_EXTENSIONS = frozenset(
    {
        # Windows programs, installers, libraries, shortcuts and scripts
        "exe", "com", "scr", "pif", "cpl", "msi", "msp", "mst", "msc", "dll", "sys", "drv",
        "ocx", "lnk", "url", "reg", "inf", "hta", "bat", "cmd", "vb", "vbs", "vbe", "js",
        "jse", "wsf", "wsh", "ws", "wsc", "sct", "ps1", "psm1", "psd1", "ps1xml", "gadget",
        "appx", "msix", "appref-ms", "application", "xbap", "jar", "jnlp", "iso", "vhd",
        "vhdx",
        # Unix, macOS and mobile programs and scripts
        "sh", "bash", "zsh", "ksh", "csh", "fish", "command", "run", "bin", "elf", "so", "app",
        "dmg", "pkg", "mpkg", "deb", "rpm", "apk", "aab", "ipa", "appimage",
        "flatpak", "snap", "scpt", "applescript", "workflow", "action",
        # interpreted languages
        "py", "pyc", "pyo", "pyw", "pyz", "pl", "pm", "rb", "php", "phtml", "lua", "tcl",
        "r", "cgi", "asp", "aspx", "jsp", "mjs", "cjs", "wasm",
        # web pages and office files that carry scripts or macros
        "html", "htm", "xhtml", "mht", "mhtml", "svg", "docm", "dotm", "xlsm", "xltm", "xlam",
        "pptm", "potm", "ppsm", "ppam", "sldm",
    }
)  # fmt: skip
_PROGRAM_TYPES = frozenset(
    {
        "application/x-msdownload", "application/x-msdos-program", "application/x-dosexec",
        "application/x-ms-dos-executable", "application/vnd.microsoft.portable-executable",
        "application/x-executable", "application/x-elf", "application/x-sharedlib",
        "application/x-mach-binary", "application/x-msi", "application/x-ms-installer",
        "application/x-ms-shortcut", "application/x-bat", "application/x-sh",
        "application/x-shellscript", "text/x-shellscript", "text/x-sh", "application/x-csh",
        "application/javascript", "application/x-javascript", "text/javascript",
        "application/ecmascript", "text/ecmascript", "application/x-python",
        "text/x-python", "text/x-script.python", "application/x-perl", "text/x-perl",
        "application/x-php", "text/x-php", "application/x-ruby", "text/x-ruby",
        "application/x-powershell", "application/vbscript", "text/vbscript",
        "application/hta", "application/java-archive", "application/x-java-archive",
        "application/x-java-jnlp-file", "application/vnd.android.package-archive",
        "application/x-apple-diskimage", "application/x-iso9660-image",
        "application/x-debian-package", "application/x-rpm", "application/x-redhat-package-manager",
        "application/wasm", "text/html", "application/xhtml+xml", "image/svg+xml",
        "application/vnd.ms-word.document.macroenabled.12",
        "application/vnd.ms-excel.sheet.macroenabled.12",
        "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    }
)  # fmt: skip


def clean_name(name: str | None) -> str:
    """The file name without control and format characters (Cc, Cf: bidi overrides, zero
    widths), line separators or surrounding space, at most 200 characters; "document" when
    nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    return " ".join(kept.split())[:MAX_NAME] or "document"


def extension(name: str) -> str:
    """The last extension, lower case, without the dot ("" when there is none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.strip().casefold() if dot and stem.strip() else ""


def problem(name: str, mime_type: str | None, size: int | None) -> str | None:
    """Why a document is refused (localized), or None when it may be kept."""
    mime = (mime_type or "").split(";", 1)[0].strip().casefold()
    if extension(name) in _PROGRAM_EXTENSIONS or mime in _PROGRAM_TYPES:
        return _(
            "I can't accept programs or scripts ({name}). Please send a PDF, an image, an "
            "office document or a text file instead, or press Skip."
        ).format(name=esc(name))
    if size is not None and size > MAX_BYTES:
        return _(
            "That file is {size} MB; the limit is {limit} MB. Please send a smaller file (for "
            "example a PDF with fewer or smaller images), or press Skip."
        ).format(size=format_number(round(size / 1024 / 1024, 1)), limit=MAX_MEGABYTES)
    return None
