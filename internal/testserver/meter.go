package testserver

import (
	"io"
	"net/http"
	"sync"
)

// Request is one request a server answered, as recorded by its meter.
type Request struct {
	Method   string
	Path     string // URL path and query
	Status   int
	BytesIn  int64 // request body bytes read
	BytesOut int64 // response body bytes written
}

// meter records every request that reaches a server, authorized or not,
// so tests can assert how chatty a client is (a poll that finds nothing
// new should be one small request).
//
// Readers wait for requests still being answered: a client can have read
// all it wanted (up to a flush packet, say) while the server is still
// finishing, and that request belongs to what the client just did.
type meter struct {
	mu       sync.Mutex
	log      []Request
	inFlight int
	idle     *sync.Cond
}

// settled locks m once no request is being answered.
func (m *meter) settled() {
	m.mu.Lock()
	if m.idle == nil {
		m.idle = sync.NewCond(&m.mu)
	}
	for m.inFlight > 0 {
		m.idle.Wait()
	}
}

// Requests is how many requests were answered since the last Reset.
func (m *meter) Requests() int {
	m.settled()
	defer m.mu.Unlock()
	return len(m.log)
}

// BytesIn is the total request body size since the last Reset.
func (m *meter) BytesIn() int64 {
	var n int64
	for _, r := range m.Log() {
		n += r.BytesIn
	}
	return n
}

// BytesOut is the total response body size since the last Reset.
func (m *meter) BytesOut() int64 {
	var n int64
	for _, r := range m.Log() {
		n += r.BytesOut
	}
	return n
}

// Log is a copy of the requests answered since the last Reset, in order.
func (m *meter) Log() []Request {
	m.settled()
	defer m.mu.Unlock()
	return append([]Request(nil), m.log...)
}

// Reset forgets the requests answered so far.
func (m *meter) Reset() {
	m.settled()
	defer m.mu.Unlock()
	m.log = nil
}

func (m *meter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.inFlight++
		m.mu.Unlock()
		body := &countReader{r: r.Body}
		r.Body = body
		cw := &countWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(cw, r)
		m.mu.Lock()
		defer m.mu.Unlock()
		m.inFlight--
		if m.idle != nil {
			m.idle.Broadcast()
		}
		m.log = append(m.log, Request{
			Method: r.Method, Path: r.URL.RequestURI(), Status: cw.status,
			BytesIn: body.n, BytesOut: cw.n,
		})
	})
}

type countReader struct {
	r io.ReadCloser
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) Close() error { return c.r.Close() }

type countWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// Flush lets git's streamed responses through as they are produced.
func (c *countWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
