package pluginrpc

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"

	"github.com/runnel-io/runnel/plugins/storage"
)

// appendQueueMax bounds the appends queued for one file's worker.
const appendQueueMax = 2 * dataWindowMax

// fileEntry is one open file on the plugin side. Its appends run in
// order on one worker goroutine, started on the first append; reads run
// concurrently.
type fileEntry struct {
	f       storage.File
	appends chan dataReq
}

// dataServer is the plugin's end of the data socket.
type dataServer struct {
	s    *storageServer
	conn *net.UnixConn
	wmu  sync.Mutex
}

// openDataConn wraps the inherited descriptor fd as a packet socket.
func openDataConn(fd int) (*net.UnixConn, error) {
	f := os.NewFile(uintptr(fd), "runnel-plugin-data")
	defer f.Close() // FileConn holds its own duplicate
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, errors.New("pluginrpc: data descriptor is not a unix socket")
	}
	return uc, nil
}

// serve reads requests until the host closes the socket.
func (d *dataServer) serve() {
	defer d.conn.Close()
	buf := make([]byte, dataReqBytes+1)
	for {
		n, err := d.conn.Read(buf)
		if err != nil || n == 0 {
			return
		}
		req, err := decodeReq(buf[:n])
		if err != nil {
			return // a host speaking something else: stop serving it
		}
		d.dispatch(req)
	}
}

func (d *dataServer) dispatch(req dataReq) {
	e, err := d.s.fileEntry(req.file, req.op == opAppend, d.work)
	switch {
	case err != nil:
		d.reply(dataRep{id: req.id, status: statusError, err: err})
	case req.op == opAppend:
		e.appends <- req
	case req.op == opRead:
		go d.read(e.f, req)
	case req.op == opSync:
		go d.sync(e.f, req) // concurrent with appends: group commit

	default:
		d.reply(dataRep{id: req.id, status: statusError, err: errors.New("pluginrpc: unknown data op")})
	}
}

// work runs one file's appends in the order they arrived.
func (d *dataServer) work(e *fileEntry) {
	for req := range e.appends {
		if req.op == opStop {
			return
		}
		b, err := checkSpan(d.s.mem, req.offset, req.length)
		var pos int64
		if err == nil {
			pos, err = e.f.Append(context.Background(), [][]byte{b})
		}
		d.reply(result(req.id, pos, err))
	}
}

func (d *dataServer) read(f storage.File, req dataReq) {
	b, err := checkSpan(d.s.mem, req.offset, req.length)
	if err != nil {
		d.reply(result(req.id, 0, err))
		return
	}
	n, err := f.ReadAt(context.Background(), b, req.position)
	if errors.Is(err, io.EOF) {
		d.reply(dataRep{id: req.id, status: statusEOF, value: int64(n)})
		return
	}
	d.reply(result(req.id, int64(n), err))
}

func (d *dataServer) sync(f storage.File, req dataReq) {
	d.reply(result(req.id, 0, f.Sync(context.Background())))
}

func result(id uint64, value int64, err error) dataRep {
	if err != nil {
		return dataRep{id: id, status: statusError, err: err}
	}
	return dataRep{id: id, status: statusOK, value: value}
}

func (d *dataServer) reply(rep dataRep) {
	b := rep.encode(make([]byte, 0, dataRepHeadBytes+64))
	d.wmu.Lock()
	defer d.wmu.Unlock()
	_, _ = d.conn.Write(b) // a dead host ends serve anyway
}
