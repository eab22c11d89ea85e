"""The agent desk: staff accounts and sign-in (accounts.py, auth.py) and the live desk, served under
/staff/ by the same aiohttp app as the customers' web page (voice/web/server.py)."""
