package gitsource

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// git's pkt-line framing (gitprotocol-common): four hex digits giving the
// length of the line including themselves, then the payload. Lengths 0000,
// 0001 and 0002 are the flush, delimiter and response-end packets.
const (
	pktFlush = "0000"
	pktDelim = "0001"
	// pktMax is the largest packet git sends (LARGE_PACKET_MAX).
	pktMax = 65520
)

// pktKind tells a data packet from the special ones.
type pktKind int

const (
	pktData pktKind = iota
	pktFlushKind
	pktDelimKind
	pktEndKind
)

// pktBuf builds a pkt-line request.
type pktBuf struct{ bytes.Buffer }

// line appends one data packet holding s.
func (b *pktBuf) line(s string) {
	fmt.Fprintf(&b.Buffer, "%04x%s", len(s)+4, s)
}

func (b *pktBuf) flush() { b.WriteString(pktFlush) }
func (b *pktBuf) delim() { b.WriteString(pktDelim) }

// pktReader reads pkt-lines, counting the bytes it consumed.
type pktReader struct {
	r     *bufio.Reader
	count *int64 // when set, bytes read are added to it
	buf   []byte
}

func newPktReader(r io.Reader) *pktReader {
	return &pktReader{r: bufio.NewReaderSize(r, 4096), buf: make([]byte, pktMax)}
}

var errPktFormat = errors.New("malformed pkt-line from the remote")

// next returns the next packet. The payload is valid until the next call.
func (p *pktReader) next() (pktKind, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	p.add(4)
	n, err := strconv.ParseUint(string(hdr[:]), 16, 16)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: length %q", errPktFormat, hdr)
	}
	switch {
	case n == 0:
		return pktFlushKind, nil, nil
	case n == 1:
		return pktDelimKind, nil, nil
	case n == 2:
		return pktEndKind, nil, nil
	case n < 4 || n > pktMax:
		return 0, nil, fmt.Errorf("%w: length %d", errPktFormat, n)
	}
	data := p.buf[:n-4]
	if _, err := io.ReadFull(p.r, data); err != nil {
		return 0, nil, err
	}
	p.add(len(data))
	return pktData, data, nil
}

// lines reads data packets up to the next flush or delimiter, calling fn
// with each one without its trailing newline.
func (p *pktReader) lines(fn func(line string) error) (pktKind, error) {
	for {
		kind, data, err := p.next()
		if err != nil || kind != pktData {
			return kind, err
		}
		if err := fn(string(bytes.TrimSuffix(data, []byte("\n")))); err != nil {
			return kind, err
		}
	}
}

func (p *pktReader) add(n int) {
	if p.count != nil {
		*p.count += int64(n)
	}
}
