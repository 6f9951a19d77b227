package dialect

// loginFormats are the login and logout logs of OpenSSH, Linux PAM,
// Dovecot, Postfix SASL, Cisco ASA VPN, MikroTik and Palo Alto User-ID.
// How each maps its lines to records is in its parser's comment
// (login_*.go) and in login_text.go.
var loginFormats = []Format{
	{
		Name:   "openssh",
		Vendor: "OpenBSD OpenSSH",
		What:   "sshd logins (Accepted), logouts (Disconnected from user) and failed authentications",
		New:    newOpenSSH,
	},
	{
		Name:   "pam",
		Vendor: "Linux PAM",
		What:   "pam_unix session opened and closed lines, and authentication failures, of any service",
		New:    newPAM,
	},
	{
		Name:   "dovecot",
		Vendor: "Dovecot",
		What:   "IMAP, POP3, submission and ManageSieve logins, logouts and failed logins",
		New:    newDovecot,
	},
	{
		Name:   "postfix-sasl",
		Vendor: "Postfix",
		What:   "SMTP server SASL logins (client= with sasl_username) and SASL authentication failures",
		New:    newPostfix,
	},
	{
		Name:   "cisco-asa-vpn",
		Vendor: "Cisco ASA and FTD",
		What:   "remote-access VPN address assignment (722051), disconnect (113019) and AAA rejections (113005, 113015)",
		New:    newASAVPN,
	},
	{
		Name:   "mikrotik-login",
		Vendor: "MikroTik RouterOS",
		What:   "PPP and hotspot subscriber logins and logouts, router management logins, and failed logins",
		New:    newMikroTik,
	},
	{
		Name:   "paloalto-userid",
		Vendor: "Palo Alto Networks PAN-OS",
		What:   "User-ID login and logout logs (user to address mappings, GlobalProtect and directory sources)",
		New:    newPANUserID,
	},
}
