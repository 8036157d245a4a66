package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// Options says what to measure.
type Options struct {
	// URL is the server's websocket URL (ws://HOST:PORT/ws); its /metrics
	// is read from the same host.
	URL string
	// Secret and AppID sign the clients' UserSigs.
	Secret []byte
	AppID  uint32
	// Clients is how many clients log in (half call, half answer).
	Clients int
	// Rate is the target of call setups per second.
	Rate int
	// Duration is how long setups are started for.
	Duration time.Duration
	// DialConcurrency caps logins in flight.
	DialConcurrency int
	// Logger gets progress; nil means slog.Default().
	Logger *slog.Logger
}

// Latencies summarises one latency.
type Latencies struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

func summarise(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Latencies{N: len(d), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: d[len(d)-1]}
}

// Result is what Run measured.
type Result struct {
	Clients         int
	LoginTime       time.Duration
	Started         int
	Completed       int
	Failed          int
	FirstError      string
	RunTime         time.Duration
	SetupsPerSecond float64
	Setup           Latencies // invite sent -> onCallBegin on both sides
	InviteReceived  Latencies // invite sent -> onCallReceived at the callee
	AcceptBegin     Latencies // accept sent -> onCallBegin at the callee
	// Server figures from /metrics.
	RSSBefore, RSSIdle   float64 // bytes, before the logins and with all clients idle
	HeapBefore, HeapIdle float64
	RSSPerConn           float64 // bytes per idle connection
	HeapPerConn          float64
	ServerCPUSeconds     float64 // server CPU time during the setups
	ServerCPUCores       float64 // that over the run time
	// ServerP50 and ServerP99 bound the server's own share of the
	// requests during the setups (arrival -> handled, every request type),
	// from the calla_request_duration_seconds histogram: the upper bounds
	// of the buckets the quantiles fall in.
	ServerP50, ServerP99 time.Duration
	// LoadAvg is /proc/loadavg when the run started: the cores are shared
	// with whatever else runs on the machine.
	LoadAvg string
}

// setup is one call setup in flight. The caller's and the callee's event
// loops both write it, under mu.
type setup struct {
	mu         sync.Mutex
	start      time.Time
	received   time.Time
	acceptSent time.Time
	callerBeg  time.Time
	calleeBeg  time.Time
	done       chan struct{}
	once       sync.Once
	fail       error
}

func (s *setup) finish(err error) {
	s.once.Do(func() {
		s.fail = err
		close(s.done)
	})
}

// agent is one client and its event loop.
type agent struct {
	c   *signaling.Client
	mu  sync.Mutex
	cur *setup // the setup this agent is in, as caller or callee
}

func (a *agent) setCur(s *setup) {
	a.mu.Lock()
	a.cur = s
	a.mu.Unlock()
}

func (a *agent) current() *setup {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

// loop handles a client's events: the callee accepts, both note
// onCallBegin, and the setup completes when both have begun.
func (a *agent) loop(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for ev := range a.c.Events() {
		now := time.Now()
		s := a.current()
		switch e := ev.(type) {
		case *signaling.CallReceived:
			if s == nil {
				continue
			}
			s.mu.Lock()
			s.received = now
			s.acceptSent = time.Now()
			s.mu.Unlock()
			go func() {
				actx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if _, err := a.c.Accept(actx, e.CallID); err != nil {
					s.finish(fmt.Errorf("accept: %w", err))
				}
			}()
		case *signaling.CallBegin:
			if s == nil {
				continue
			}
			s.mu.Lock()
			if e.CallRole == signaling.RoleCaller {
				s.callerBeg = now
			} else {
				s.calleeBeg = now
			}
			both := !s.callerBeg.IsZero() && !s.calleeBeg.IsZero()
			s.mu.Unlock()
			if both {
				s.finish(nil)
			}
		case *signaling.CallCancelled:
			if s != nil {
				s.finish(fmt.Errorf("call cancelled: %s", e.Reason))
			}
		}
	}
}

// Run logs in the clients, runs the setups and returns what it measured.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Clients < 2 || o.Rate < 1 || o.Duration <= 0 {
		return Result{}, fmt.Errorf("bench: need at least 2 clients, a rate and a duration")
	}
	if o.DialConcurrency <= 0 {
		o.DialConcurrency = 64
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger
	metricsURL := strings.Replace(strings.TrimSuffix(o.URL, "/ws"), "ws", "http", 1) + "/metrics"
	var res Result
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	before, err := scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	res.RSSBefore, res.HeapBefore = before["process_resident_memory_bytes"], before["go_memstats_heap_inuse_bytes"]

	// Log in.
	agents := make([]*agent, o.Clients)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var (
		wg      sync.WaitGroup
		loops   sync.WaitGroup
		dialErr atomic.Value
		next    atomic.Int64
	)
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	defer func() {
		for _, a := range agents {
			if a != nil {
				_ = a.c.Close()
			}
		}
		loops.Wait()
	}()
	t0 := time.Now()
	for w := 0; w < o.DialConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.Clients || dialErr.Load() != nil {
					return
				}
				u := signaling.UserID("b" + strconv.Itoa(i))
				sig, err := signaling.GenUserSig(o.Secret, o.AppID, u, 24*time.Hour, time.Now())
				if err != nil {
					dialErr.Store(err)
					return
				}
				dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				c, err := signaling.Dial(dctx, signaling.ClientConfig{URL: o.URL, UserID: u, UserSig: sig, Logger: quiet})
				cancel()
				if err != nil {
					dialErr.Store(fmt.Errorf("bench: login %s: %w", u, err))
					return
				}
				a := &agent{c: c}
				agents[i] = a
				loops.Add(1)
				go a.loop(runCtx, &loops)
			}
		}()
	}
	wg.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		return res, err
	}
	res.Clients = o.Clients
	res.LoginTime = time.Since(t0)
	log.Info("clients logged in", "n", o.Clients, "took", res.LoginTime.Round(time.Millisecond))

	// Idle memory: let the server settle first.
	time.Sleep(2 * time.Second)
	idle, err := scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	res.RSSIdle, res.HeapIdle = idle["process_resident_memory_bytes"], idle["go_memstats_heap_inuse_bytes"]
	res.RSSPerConn = (res.RSSIdle - res.RSSBefore) / float64(o.Clients)
	res.HeapPerConn = (res.HeapIdle - res.HeapBefore) / float64(o.Clients)

	// Setups at the target rate, pair k = (agent k, agent k+half).
	half := o.Clients / 2
	free := make(chan int, half)
	for k := 0; k < half; k++ {
		free <- k
	}
	var (
		mu                          sync.Mutex
		setupLat, recvLat, beginLat []time.Duration
		setups                      sync.WaitGroup
	)
	record := func(s *setup) {
		mu.Lock()
		defer mu.Unlock()
		if s.fail != nil {
			res.Failed++
			if res.FirstError == "" {
				res.FirstError = s.fail.Error()
			}
			return
		}
		res.Completed++
		s.mu.Lock()
		defer s.mu.Unlock()
		setupLat = append(setupLat, max(s.callerBeg.Sub(s.start), s.calleeBeg.Sub(s.start)))
		recvLat = append(recvLat, s.received.Sub(s.start))
		beginLat = append(beginLat, s.calleeBeg.Sub(s.acceptSent))
	}
	cpu0 := idle["process_cpu_seconds_total"]
	hist0, err := scrapeHistogram(ctx, metricsURL, "calla_request_duration_seconds")
	if err != nil {
		return res, err
	}
	// Pace by the clock, not by ticks: every millisecond, start as many
	// setups as the target rate says should have started by now (a ticker
	// alone drops ticks when the process is busy).
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	end := start.Add(o.Duration)
	dropped := 0
pace:
	for now := time.Now(); now.Before(end); now = time.Now() {
		select {
		case <-ctx.Done():
			break pace
		case <-tick.C:
		}
		due := int(now.Sub(start).Seconds()*float64(o.Rate)) - res.Started - dropped
		for ; due > 0; due-- {
			var k int
			select {
			case k = <-free:
			default:
				dropped++ // every pair busy: the server is not keeping up
				continue
			}
			res.Started++
			setups.Add(1)
			go func() {
				defer setups.Done()
				caller, callee := agents[k], agents[k+half]
				s := &setup{done: make(chan struct{}), start: time.Now()}
				caller.setCur(s)
				callee.setCur(s)
				sctx, cancel := context.WithTimeout(runCtx, 10*time.Second)
				defer cancel()
				rep, err := caller.c.Call(sctx, signaling.CallRequest{CalleeIDList: []signaling.UserID{callee.c.UserID()}, CallMediaType: signaling.Video})
				if err != nil {
					s.finish(fmt.Errorf("call: %w", err))
				}
				select {
				case <-s.done:
				case <-sctx.Done():
					s.finish(errors.New("setup timed out"))
				}
				record(s)
				if err == nil {
					_ = caller.c.Hangup(sctx, rep.CallID)
				}
				caller.setCur(nil)
				callee.setCur(nil)
				free <- k
			}()
		}
	}
	setups.Wait()
	res.RunTime = time.Since(start)
	if dropped > 0 {
		log.Warn("setups not started: every pair was busy", "n", dropped)
	}
	res.SetupsPerSecond = float64(res.Completed) / res.RunTime.Seconds()
	res.Setup, res.InviteReceived, res.AcceptBegin = summarise(setupLat), summarise(recvLat), summarise(beginLat)
	after, err := scrape(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	res.ServerCPUSeconds = after["process_cpu_seconds_total"] - cpu0
	res.ServerCPUCores = res.ServerCPUSeconds / res.RunTime.Seconds()
	hist1, err := scrapeHistogram(ctx, metricsURL, "calla_request_duration_seconds")
	if err != nil {
		return res, err
	}
	res.ServerP50, res.ServerP99 = histQuantile(hist0, hist1, 0.50), histQuantile(hist0, hist1, 0.99)
	return res, nil
}

// scrapeHistogram reads a histogram's cumulative bucket counts, summed
// over its labels other than le.
func scrapeHistogram(ctx context.Context, url, name string) (map[float64]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: metrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: metrics: %w", err)
	}
	defer resp.Body.Close()
	out := map[float64]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"_bucket{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `le="`)
		leText, rest, _ := strings.Cut(rest, `"`)
		le, err := strconv.ParseFloat(leText, 64)
		if err != nil {
			continue
		}
		_, val, _ := strings.Cut(rest, "} ")
		if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[le] += f
		}
	}
	return out, sc.Err()
}

// histQuantile returns the upper bound of the bucket holding quantile q of
// the observations between two scrapes.
func histQuantile(before, after map[float64]float64, q float64) time.Duration {
	les := make([]float64, 0, len(after))
	for le := range after {
		les = append(les, le)
	}
	slices.Sort(les)
	if len(les) == 0 {
		return 0
	}
	total := after[les[len(les)-1]] - before[les[len(les)-1]]
	if total <= 0 {
		return 0
	}
	for _, le := range les {
		if after[le]-before[le] >= q*total {
			if le > 3600 {
				return -1 // in the +Inf bucket
			}
			return time.Duration(le * float64(time.Second))
		}
	}
	return -1
}

// scrape reads the unlabelled samples of a Prometheus text page.
func scrape(ctx context.Context, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: metrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: metrics: %w", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = f
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: metrics: %w", err)
	}
	return out, nil
}
