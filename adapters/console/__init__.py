"""The console adapter: ``golive shell``, a terminal chat over the same core and database."""
