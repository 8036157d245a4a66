package media

import (
	"syscall"
	"testing"
	"time"
)

func TestZZProfile(t *testing.T) {
	n := newTestNet(t)
	cfg := Config{LoopbackOnly: true, NoPlayback: false}
	a := n.add("alice", cfg)
	b := n.add("bob", cfg)
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b)
	time.Sleep(2 * time.Second)
	var r0, r1 syscall.Rusage
	syscall.Getrusage(0, &r0)
	time.Sleep(8 * time.Second)
	syscall.Getrusage(0, &r1)
	cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano())
	t.Logf("frames %d, cpu %v over 8s = %.1f%% per side", b.frameCount("alice"), cpu, float64(cpu)/float64(8*time.Second)*50)
}
