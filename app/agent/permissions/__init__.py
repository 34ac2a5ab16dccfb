"""Permission rules: what runs without asking, what is refused, and plan mode.

* ``command_parse`` reads a shell line with a real parser (bashlex) into its
  simple commands and the constructs no rule may vouch for.
* ``command_kinds`` knows commands: which run other commands (wrappers), which
  only read (plan mode), which take a subcommand (``git diff``).
* ``rules`` parses rules (``bash(git diff *)``, ``edit(src/**)``, ``read(**)``)
  and matches them against a tool call.
* ``decide`` turns the mode and the rules into one verdict for a call, naming
  the rule or the mode that made it.
"""
