"""The "Done when" scenario of "Your own data": an office's own exports, its mappings and taxonomy."""
