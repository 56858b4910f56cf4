// Command netbench measures a published port from the host, for
// hack/bench-net.sh:
//
//	netbench get URL                    download URL once; prints MB/s
//	netbench rate URL SECONDS WORKERS   GET URL in a loop; prints requests/s
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: netbench get URL | netbench rate URL SECONDS WORKERS")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "get":
		err = get(os.Args[2])
	case "rate":
		if len(os.Args) != 5 {
			err = fmt.Errorf("rate URL SECONDS WORKERS")
			break
		}
		secs, _ := strconv.Atoi(os.Args[3])
		workers, _ := strconv.Atoi(os.Args[4])
		err = rate(os.Args[2], time.Duration(secs)*time.Second, workers)
	default:
		err = fmt.Errorf("unknown command %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		os.Exit(1)
	}
}

// get downloads url and prints the throughput in MB/s.
func get(url string) error {
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Printf("%.1f\n", float64(n)/d.Seconds()/1e6)
	return nil
}

// rate GETs url from workers goroutines for d, a new connection each
// time (busybox httpd closes them), and prints requests per second.
func rate(url string, d time.Duration, workers int) error {
	var done, failed atomic.Int64
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
			for time.Now().Before(end) {
				resp, err := c.Get(url)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if done.Load() == 0 {
		return fmt.Errorf("no request succeeded (%d failed)", failed.Load())
	}
	fmt.Printf("%.0f\n", float64(done.Load())/d.Seconds())
	return nil
}
