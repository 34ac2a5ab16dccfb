"""Slash commands typed in the prompt: ``/help``, ``/compact``, ``/model`` … and the custom
commands of Markdown files (``custom.py``). None of them reaches the model, except a
custom command's expanded text, sent as the user's message.

``registry.py`` holds the list and the lookup, ``router.py`` decides whether a submitted
text is a command and runs it, ``source.py`` feeds the completion popup; one module per
group of builtins (``sessions.py``, ``conversation.py``, ``info.py``, ``permissions.py``).
"""
