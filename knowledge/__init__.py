"""The official documents the bot quotes (package data: ``*.txt`` with their ``*.toml``
metadata). Imported into the database on first start by
``bot.services.knowledge.KnowledgeService.ensure_seeded``; see README.md in this folder."""
