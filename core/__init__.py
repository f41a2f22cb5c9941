"""What every room shares: settings, database start-up, auth, credentials, local stores, CLI."""
