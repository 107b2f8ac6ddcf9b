"""Core conversation pieces every user meets: /start, /help, /language, the main menu."""
