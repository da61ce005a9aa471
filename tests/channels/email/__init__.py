"""The e-mail door's tests (channels/email): SMTP, IMAP, replies, parsing, commands."""
