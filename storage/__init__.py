"""Persistence on SQLAlchemy 2 async: tables, repositories, unit of work, migrations, outbox."""
