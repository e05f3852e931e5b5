"""``wagate``: the operator's command line, a client of the public HTTP API only (it imports
nothing else of wagate). ``main.py`` builds the command tree; ``commands/`` holds one module
per family; ``client.py`` speaks HTTP; ``config.py`` finds the gateway and the key."""
