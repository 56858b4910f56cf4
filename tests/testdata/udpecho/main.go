// Command udpecho prints every UDP datagram on the port given as its
// argument and answers it with "echo:" and the datagram; the tests run
// it in a container, whose busybox nc has no UDP.
package main

import (
	"fmt"
	"log"
	"net"
	"os"
)

func main() {
	c, err := net.ListenPacket("udp", ":"+os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		n, addr, err := c.ReadFrom(buf)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s\n", buf[:n])
		c.WriteTo(append([]byte("echo:"), buf[:n]...), addr)
	}
}
