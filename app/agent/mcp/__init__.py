"""The MCP client: tools from Model Context Protocol servers, as tools of the registry.

``config`` reads the servers (``[mcp_servers.NAME]`` of the config file, a project's
``.mcp.json``), ``connection`` keeps one server's session, ``manager`` runs every
connection on its own thread and event loop, ``tool`` is one server tool as a
:class:`~app.agent.tools.base.Tool` and ``results`` turns what it gives back into a
tool result. The SDK (``mcp``) is imported only when a server is started.
"""
