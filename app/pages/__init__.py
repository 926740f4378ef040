"""Small HTML pages the service serves for the links in its mails when no front-end is set."""
