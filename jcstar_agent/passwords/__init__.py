"""Default-password testing: candidate generation, stored-credential formats, parallel search.

``candidates`` builds the ordered candidate list (vendor list, account name, the device's own
public data, the bundled list); ``formats`` turns one stored credential (crypt string,
htpasswd ``{SHA}``/apr1, mosquitto ``$6$``/``$7$``) into a verifier; ``search`` runs the
verifiers across every core under a time budget. Candidates carry a *label* (which list or
derivation) and only the label ever leaves this package.
"""
