package dialect

// loginFormats are the login and logout logs of OpenSSH, Linux PAM,
// Dovecot, Postfix SASL, Cisco ASA VPN, MikroTik and Palo Alto User-ID.
var loginFormats = []Format{}
