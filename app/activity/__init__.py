"""The activity log: who did what, as whom, when — for accounts and for organizations."""
