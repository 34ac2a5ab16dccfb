"""What a sandboxed command sees of the home folder: the toolchains, read-only; never keys, never Cockpit's data.

Under bubblewrap the home folder is an empty tmpfs, so a ``python3`` from pyenv
or a ``cargo`` from rustup would be missing. With ``[sandbox] toolchains = true``
(the default) :func:`home_view` shows, read-only:

* every PATH entry that lies under the home folder (both resolved), except the
  home folder itself;
* the toolchain roots of :data:`TOOLCHAIN_ROOTS` that exist (a shim in
  ``~/.pyenv/shims`` needs ``~/.pyenv``, ``~/.cargo/bin/cargo`` needs
  ``~/.rustup``), and the folders the toolchain variables of
  :data:`TOOLCHAIN_ENV` name under home;
* git's own configuration (``~/.gitconfig``, ``~/.config/git/config``): git reads
  it on every run, and it holds settings, not secrets (credentials live in
  helpers and in ``~/.git-credentials``, which stays out).

Never shown: the credential files and folders of :data:`CREDENTIALS` and the
data folder (``$COCKPIT_HOME``, passed in as ``hidden``). A candidate inside one
of them is skipped; one inside a shown folder (``~/.cargo/credentials.toml``,
or the data folder under a ``~/.local`` on PATH) is masked with an empty file
or folder. The paths are checked on the host, resolved, so a
symlink cannot smuggle a key in; inside the sandbox a symlink to a key leads
to the empty home.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TOOLCHAIN_ROOTS = (
    ".pyenv", ".cargo", ".rustup", ".nvm", ".local/bin", ".local/lib", ".local/share/uv", ".local/pipx",
    ".local/share/pipx", ".local/share/pypoetry", ".deno", ".bun", "go", ".sdkman",
    ".gitconfig", ".config/git/config", ".config/git/ignore", ".config/git/attributes",
)
# Passed on to commands and shown when they name a folder under home: where a toolchain keeps itself.
TOOLCHAIN_ENV = ("PYENV_ROOT", "PYENV_VERSION", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "NVM_DIR", "NVM_BIN",
                 "GOPATH", "GOROOT", "BUN_INSTALL", "DENO_INSTALL", "SDKMAN_DIR", "POETRY_HOME", "PIPX_HOME")
CREDENTIALS = (
    ".ssh", ".aws", ".gnupg", ".config/gh", ".docker", ".kube", ".netrc", ".git-credentials", ".config/gcloud",
    ".azure", ".config/git/credentials", ".cargo/credentials", ".cargo/credentials.toml",
    ".local/share/uv/credentials",
)


@dataclass(frozen=True)
class HomeView:
    """Read-only binds (host path, path in the sandbox) and the folders and files masked inside them."""

    binds: tuple[tuple[str, str], ...] = ()
    masked_dirs: tuple[str, ...] = ()
    masked_files: tuple[str, ...] = ()


def home_view(home: str, path_env: str, env: Mapping[str, str], hidden: Iterable[str] = ()) -> HomeView:
    """The toolchains under ``home`` a command may read, and the secrets within them it must not."""
    if not home or not os.path.isabs(home):
        return HomeView()
    home = os.path.normpath(home)
    home_real = os.path.realpath(home)
    if home_real == "/":
        return HomeView()
    secrets = [os.path.realpath(os.path.join(home, name)) for name in CREDENTIALS]
    secrets += [os.path.realpath(os.path.expanduser(path)) for path in hidden if path]
    candidates = [p for p in path_env.split(os.pathsep) if os.path.isabs(p)]
    candidates += [os.path.join(home, root) for root in TOOLCHAIN_ROOTS]
    candidates += [env[name] for name in TOOLCHAIN_ENV if os.path.isabs(env.get(name, ""))]
    binds: list[tuple[str, str]] = []
    for named in sorted({os.path.normpath(c) for c in candidates}, key=os.path.realpath):
        real = os.path.realpath(named)
        if real == home_real or not _within(real, home_real) or not os.path.exists(real):
            continue
        if any(_within(real, secret) for secret in secrets):
            continue
        target = named if _within(named, home) else real  # where the command looks for it
        if any(_within(real, src) and _within(target, dest) for src, dest in binds):
            continue  # inside a folder already shown
        binds.append((real, target))
    inside = [(os.path.join(dest, os.path.relpath(secret, src)), os.path.isdir(secret))
              for src, dest in binds for secret in secrets if secret != src and _within(secret, src)
              and os.path.exists(secret)]
    return HomeView(tuple(binds), tuple(dict.fromkeys(p for p, folder in inside if folder)),
                    tuple(dict.fromkeys(p for p, folder in inside if not folder)))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
