"""The knowledge base of official documents: parsing, normalisation and search.

Framework-free (no Telegram, no SQL): ``bot.services.knowledge`` stores what this produces and
answers questions with it.
"""
