"""The staff console: conversation review and how the bot does, read from Rasa's tracker store
(bot/review) and served under /staff/console/ by the same aiohttp app as the desk."""
