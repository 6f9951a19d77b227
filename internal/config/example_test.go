package config_test

import (
	"fmt"

	"github.com/warden-ops/warden/internal/config"
	"github.com/warden-ops/warden/internal/record"
)

func ExampleParse() {
	f, err := config.Parse([]byte(`
data_dir: /var/lib/warden
store:
  block_age: 250ms
  retention:
    nat: 90d
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	sc, err := f.StoreConfig()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sc.Dir, sc.BlockAge, f.HTTP.Listen)
	fmt.Println("nat", config.FormatDuration(sc.RetentionFor(record.KindNAT)))
	fmt.Println("session", config.FormatDuration(sc.RetentionFor(record.KindSession)))

	_, err = config.Parse([]byte("store:\n  retention:\n    nat: 30d\n"))
	fmt.Println(err)
	// Output:
	// /var/lib/warden 250ms 127.0.0.1:8080
	// nat 90d
	// session 180d
	// config: store: retention for nat is 720h0m0s: Order 82 art. 13 requires at least 60 days (1440h)
}
