"""Provider resolution (which provider, which key, which model name) and the backends, one
module per provider."""
