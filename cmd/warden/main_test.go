package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the warden command when the
// crash test starts it as a child process.
func TestMain(m *testing.M) {
	if os.Getenv("WARDEN_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCmd runs a warden command in process and returns its output.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestUsage(t *testing.T) {
	out, err := runCmd(t, "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) || !strings.Contains(out, "verify-proof") {
		t.Errorf("run(frobnicate) = %v, %q; want an unknown-command error and the usage", err, out)
	}
	if _, err := runCmd(t, "verify", "-nosuchflag"); err == nil {
		t.Error("run(verify -nosuchflag) succeeded")
	}
}
