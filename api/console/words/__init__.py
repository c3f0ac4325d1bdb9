"""The console's words for one feature each: every module here holds `MESSAGES`, a dict of
key -> (Vietnamese, English), merged into `api.console.i18n.MESSAGES` at import.

A feature's pages keep their words in their own module so that features added side by side
do not edit one long file; a key defined twice is an error at start-up."""
