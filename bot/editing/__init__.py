"""What bank staff change from the console: FAQs, intent examples and the bot's wording, and
publishing them as a new model (validate → train → quality gates → load into the running server)."""
