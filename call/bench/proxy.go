package bench

import (
	"io"
	"net"
	"sync"
)

// proxy is a TCP proxy on loopback between one engine and the server:
// silence drops every connection through it and takes the ones that come
// next without ever answering (a server that does not respond); restore
// drops those and forwards again.
//
// Concurrency: serve is the accept goroutine; each forwarded connection
// has two copy goroutines; close stops them all.
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	silent bool
}

func newProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		silent := p.silent
		p.conns[c] = true
		p.mu.Unlock()
		if silent {
			continue // held open, unanswered
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			p.drop(c)
			continue
		}
		p.mu.Lock()
		p.conns[s] = true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

func (p *proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// cutAll closes every connection through the proxy.
func (p *proxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// silence drops the connections and answers no new one.
func (p *proxy) silence() {
	p.mu.Lock()
	p.silent = true
	p.mu.Unlock()
	p.cutAll()
}

// restore drops the unanswered connections and forwards again.
func (p *proxy) restore() {
	p.mu.Lock()
	p.silent = false
	p.mu.Unlock()
	p.cutAll()
}

func (p *proxy) close() {
	p.ln.Close()
	p.cutAll()
	p.wg.Wait()
}
