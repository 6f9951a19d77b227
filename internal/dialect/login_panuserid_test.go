package dialect_test

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// panUserIDCases are PAN-OS USERID logs: the column order of the PAN-OS
// "User-ID Log Fields" page and lines from elastic/integrations'
// test-panw-panos-userid-sample.log.
func panUserIDCases() []loginCase {
	at := func(ev record.SessionEvent, t time.Time, user, addr string) []*record.Record {
		return []*record.Record{{
			Kind: record.KindSession, EventTime: t, ReceiveTime: loginReceived, Source: "src-1",
			Session: &record.Session{Event: ev, Account: user, Addr: loginAddr(addr)},
		}}
	}
	// A Generated Time is read in the device's zone, loginZone (+08).
	local := func(s string) time.Time {
		t, err := time.ParseInLocation("2006/01/02 15:04:05", s, loginZone)
		if err != nil {
			panic(err)
		}
		return t
	}
	return []loginCase{
		{
			name: "GlobalProtect login",
			msg:  loginMsg("", `1,2021/04/05 14:52:16,<serial-number>,USERID,login,2305,2021/04/05 14:52:16,vsys1,10.68.2.9,domain\admin,,0,1,10800,0,0,vpn-client,globalprotect,1277996,0x0,0,0,0,0,,CORE-FW,1,,2021/04/05 14:52:16,1,0x80000000,admin`),
			want: at(record.SessionLogin, local("2021/04/05 14:52:16"), `domain\admin`, "10.68.2.9"),
		},
		{
			name: "GlobalProtect logout",
			msg:  loginMsg("", `1,2021/04/05 14:52:33,<serial-number>,USERID,logout,2305,2021/04/05 14:52:33,vsys1,10.68.2.9,domain\admin,,0,1,0,0,0,vpn-client,globalprotect,1277997,0x0,0,0,0,0,,CORE-FW,1,,2021/04/05 14:52:34,1,0x80000000,admin`),
			want: at(record.SessionLogout, local("2021/04/05 14:52:33"), `domain\admin`, "10.68.2.9"),
		},
		{
			name: "high resolution timestamp with zone",
			msg:  loginMsg("", `1,2023/05/10 11:17:00,304565467,USERID,login,2561,2023/05/10 11:17:00,vsys1,10.9.3.250,YA072Z$@VIERWERK.NET,zwei.vierwerk.net,0,1,2700,0,0,active-directory,,4325687342567,0x0,0,0,0,0,,P250D-01,0,,2023/05/10 11:16:51,1,0x0,YA072Z$@VIERWERK.NET,,2023-05-10T11:17:01.416-04:00`),
			want: at(record.SessionLogin, time.Date(2023, 5, 10, 15, 17, 1, 416e6, time.UTC), "YA072Z$@VIERWERK.NET", "10.9.3.250"),
		},
		{
			name: "PAN-OS 5 columns only",
			msg:  loginMsg("", `1,2013/03/28 12:53:05,001701000225,USERID,login,12,2013/03/28 12:53:05,vsys1,172.17.128.92,plano2008r2\administrator,test,0,1,2700,0,0,active-directory,unknown,1,0x0`),
			want: at(record.SessionLogin, local("2013/03/28 12:53:05"), `plano2008r2\administrator`, "172.17.128.92"),
		},
		{
			name: "syslog timestamp left in the text",
			msg:  loginMsg("", `Nov 30 16:09:08 1,2021/03/24 11:00:49,013101001305,USERID,login,2305,2021/03/24 11:00:49,vsys1,81.2.69.193,domain\name,,0,1,10800,0,0,<data-source-collected>,<data-source-type>,1252774,0x0,0,0,0,0,,FW01,1,,2021/03/24 11:00:49,1,0x80000000,name`),
			want: at(record.SessionLogin, local("2021/03/24 11:00:49"), `domain\name`, "81.2.69.193"),
		},
		{
			name: "quoted user, IPv6 source",
			msg:  loginMsg("", `1,2021/04/05 14:52:16,001,USERID,login,2305,2021/04/05 14:52:16,vsys1,2001:db8::9,"example\o""brien, jr",,0,1,10800,0,0,vpn-client,globalprotect,1,0x0`),
			want: at(record.SessionLogin, local("2021/04/05 14:52:16"), `example\o"brien, jr`, "2001:db8::9"),
		},

		{name: "register-tag", msg: loginMsg("", `1,2021/03/24 11:00:49,013101001305,USERID,register-tag,2305,2021/03/24 11:00:49,vsys1,10.1.1.1,domain\name,,0,1,0,0,0,xml-api,,1,0x0`), wantErr: dialect.ErrNotMine},
		{name: "traffic log with a rule named USERID", msg: loginMsg("", `1,2017/07/13 20:39:44,0009C101317,TRAFFIC,end,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49,0.0.0.0,0.0.0.0,USERID,,sumo\mkwan,msrpc,vsys1`), wantErr: dialect.ErrNotMine},
		{name: "other program", msg: loginMsg("sshd", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"), wantErr: dialect.ErrNotMine},

		{name: "bad generated time", msg: loginMsg("", `1,2021/04/05 14:52:16,001,USERID,login,2305,2021/04/05 25:52:16,vsys1,10.68.2.9,admin,,0,1,10800,0,0,vpn-client,globalprotect,1,0x0`), wantErr: errLoginMalformed},
		{name: "time out of range", msg: loginMsg("", `1,2021/04/05 14:52:16,001,USERID,login,2305,9999/04/05 14:52:16,vsys1,10.68.2.9,admin,,0,1,10800,0,0,vpn-client,globalprotect,1,0x0`), wantErr: errLoginMalformed},
		{name: "bad source IP", msg: loginMsg("", `1,2021/04/05 14:52:16,001,USERID,login,2305,2021/04/05 14:52:16,vsys1,10.68.2,admin,,0,1,10800,0,0,vpn-client,globalprotect,1,0x0`), wantErr: errLoginMalformed},
		{name: "no user", msg: loginMsg("", `1,2021/04/05 14:52:16,001,USERID,logout,2305,2021/04/05 14:52:16,vsys1,10.68.2.9,,,0,1,0,0,0,vpn-client,globalprotect,1,0x0`), wantErr: errLoginMalformed},
		{name: "too few columns", msg: loginMsg("", `1,2021/04/05 14:52:16,001,USERID,login,2305,2021/04/05 14:52:16`), wantErr: errLoginMalformed},
		{name: "unterminated quote", msg: loginMsg("", `1,2021/04/05 14:52:16,001,USERID,login,2305,2021/04/05 14:52:16,vsys1,10.68.2.9,"admin`), wantErr: errLoginMalformed},
	}
}

func TestParseUserID(t *testing.T) { runLoginCases(t, "paloalto-userid", panUserIDCases()) }

func FuzzParseUserID(f *testing.F) {
	for _, tc := range panUserIDCases() {
		f.Add(tc.msg.App, tc.msg.Text)
	}
	p := loginParser(f, "paloalto-userid")
	f.Fuzz(func(t *testing.T, app, text string) { loginCheckFuzz(t, p, app, text) })
}

func BenchmarkParseUserID(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"login", `1,2021/04/05 14:52:16,001,USERID,login,2305,2021/04/05 14:52:16,vsys1,10.68.2.9,domain\admin,,0,1,10800,0,0,vpn-client,globalprotect,1277996,0x0,0,0,0,0,,CORE-FW,1,,2021/04/05 14:52:16,1,0x80000000,admin`},
		{"hires", `1,2023/05/10 11:17:00,304565467,USERID,login,2561,2023/05/10 11:17:00,vsys1,10.9.3.250,YA072Z$@VIERWERK.NET,zwei.vierwerk.net,0,1,2700,0,0,active-directory,,4325687342567,0x0,0,0,0,0,,P250D-01,0,,2023/05/10 11:16:51,1,0x0,YA072Z$@VIERWERK.NET,,2023-05-10T11:17:01.416-04:00`},
		{"traffic", `1,2017/07/13 20:39:44,0009C101317,TRAFFIC,end,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49,0.0.0.0,0.0.0.0,rule1,,sumo\mkwan,msrpc,vsys1,ENG_USER,ENG_INFRA,ivlan_712,ivlan_751,Syslog,2017/07/13 20:39:44,1070831,1,65123,135,0,0,0x0,tcp,allow,1194,644,550,12,1,40,any,0,3297977305,0x0`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loginParser(b, "paloalto-userid")
			m := loginMsg("", bc.text)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Parse(m) // the result is checked by TestParseUserID
			}
		})
	}
}
