"""What the permission rules know about commands, as data.

* ``WRAPPERS`` run another command (``sh -c``, ``xargs``, ``env``, ``sudo``…):
  no prefix rule vouches for what they run, so a line with one always asks.
* ``SUBCOMMAND_TOOLS`` take a subcommand as their second word: "always allow"
  proposes ``git diff *``, not ``git *``.
* ``READ_ONLY`` is plan mode's allow-list: commands that only read, each with
  the options that would make it write or run something (``find -exec``,
  ``sort -o``, ``rg --pre``); ``READ_ONLY_GIT`` the git subcommands that only read.
* ``INTERPRETERS`` run any code they are given (``python3 -c …``): "always allow"
  proposes the exact command for them, never ``python3 *``.
* ``SAFE_ENV`` are the variables a ``NAME=value cmd`` prefix may set without
  asking (others, such as ``PATH`` or ``LD_PRELOAD``, change what ``cmd`` runs).
"""

from __future__ import annotations

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh"})

WRAPPERS = SHELLS | frozenset({
    "eval", "exec", "source", ".", "command", "builtin", "xargs", "parallel", "env", "nice", "nohup", "timeout",
    "time", "sudo", "doas", "su", "runuser", "chroot", "stdbuf", "unbuffer", "watch", "strace", "ltrace", "setsid",
    "flock", "ionice", "taskset", "script", "ssh", "trap", "coproc", "busybox",
})

SUBCOMMAND_TOOLS = frozenset({
    "git", "npm", "pnpm", "yarn", "npx", "cargo", "go", "uv", "pip", "pip3", "poetry", "docker", "kubectl", "make",
    "gh", "dotnet", "mvn", "gradle", "bundle", "rails", "conda", "brew", "apt", "apt-get", "systemctl", "terraform",
})

INTERPRETERS = frozenset({
    "python", "python3", "pypy", "pypy3", "node", "deno", "bun", "ruby", "perl", "php", "lua", "Rscript", "julia",
    "osascript", "pwsh", "powershell",
})

SAFE_ENV = frozenset({
    "CI", "NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES", "LANG", "LC_ALL", "LC_CTYPE", "TZ",
    "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
})

# command → options that make it write or run something (a long option also matches "--opt=…";
# a one-letter option also matches inside a bundle such as "-uo").
READ_ONLY: dict[str, frozenset[str]] = {
    name: frozenset(options)
    for name, options in {
        "ls": (), "cat": (), "head": (), "tail": (), "wc": (), "pwd": (), "echo": (), "printf": (), "true": (),
        "false": (), "grep": (), "egrep": (), "fgrep": (), "rg": ("--pre", "--pre-glob"), "find": (
            "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls",
        ), "tree": ("-o",), "file": ("-C", "--compile"), "stat": (), "du": (), "df": (), "which": (),
        "diff": (), "cmp": (), "sort": ("-o", "--output", "--compress-program"), "cut": (), "tr": (), "nl": (),
        "basename": (), "dirname": (), "realpath": (), "readlink": (), "date": ("-s", "--set"), "whoami": (),
        "id": (), "uname": (), "jq": (), "column": (), "od": (), "hexdump": (), "sha256sum": (), "md5sum": (),
    }.items()
}

READ_ONLY_GIT: dict[str, frozenset[str]] = {
    sub: frozenset({"--output", "--ext-diff", "-O", "--open-files-in-pager"})
    for sub in ("status", "diff", "log", "show", "blame", "ls-files", "rev-parse", "grep", "describe", "shortlog")
}


def forbidden_option(words: tuple[str, ...], forbidden: frozenset[str]) -> str | None:
    """The first of ``words`` that is one of the ``forbidden`` options, or None."""
    letters = {o[1] for o in forbidden if len(o) == 2 and o[0] == "-"}
    for word in words:
        if word == "--":
            return None
        if word in forbidden or any(word.startswith(o + "=") for o in forbidden if o.startswith("--")):
            return word
        if word.startswith("-") and not word.startswith("--") and letters & set(word[1:]):
            return word
    return None


def read_only_problem(words: tuple[str, ...]) -> str | None:
    """Why the simple command ``words`` is not a read-only command, or None when it is."""
    name, args = words[0], words[1:]
    if name == "git":
        sub = args[0] if args else ""
        if sub not in READ_ONLY_GIT:
            return f"git {sub or '(no subcommand)'} is not one of the read-only git commands ({', '.join(READ_ONLY_GIT)})"
        option = forbidden_option(args[1:], READ_ONLY_GIT[sub])
        return f"git {sub} {option} can write or run something" if option else None
    if name not in READ_ONLY:
        return f"{name} is not on the read-only list"
    option = forbidden_option(args, READ_ONLY[name])
    return f"{name} {option} can write or run something" if option else None
