// Command notifyd stands in for the berth binary when testing the unit
// file: it checks its arguments and config, tells systemd it is ready over
// $NOTIFY_SOCKET (Type=notify), then waits to be stopped.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "agent" {
		fail("usage: berth agent (got %q)", os.Args[1:])
	}
	if _, err := os.Stat("/etc/berth/config.yaml"); err != nil {
		fail("%v", err)
	}
	conn, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
	if err != nil {
		fail("notify socket: %v", err)
	}
	if _, err := conn.Write([]byte("READY=1")); err != nil {
		fail("notify: %v", err)
	}
	// Block until systemd stops the service (an empty select would be
	// reported as a deadlock by the Go runtime).
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
