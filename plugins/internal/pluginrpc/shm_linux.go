//go:build linux

package pluginrpc

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// NewRegion creates and maps a shared region of slots slots of slotBytes,
// and the data socket pair that goes with it.
func NewRegion(slots, slotBytes int) (*Region, error) {
	size := slots * slotBytes
	fd, err := unix.MemfdCreate("runnel-plugin-shm", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pluginrpc: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "runnel-plugin-shm")
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("pluginrpc: size shared region: %w", err)
	}
	// MAP_POPULATE: fault every page in now, not on a call's first use
	// of a slot (a fault per 4 KiB page made first uses ~20x slower).
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pluginrpc: map shared region: %w", err)
	}
	host, child, err := socketPair()
	if err != nil {
		_ = unix.Munmap(mem)
		f.Close()
		return nil, err
	}
	return newRegion(f, mem, slotBytes, child, newDataConn(host)), nil
}

// socketPair makes the data socket: packets keep request boundaries.
func socketPair() (*net.UnixConn, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("pluginrpc: socketpair: %w", err)
	}
	hostFile := os.NewFile(uintptr(fds[0]), "runnel-plugin-data-host")
	defer hostFile.Close() // FileConn holds its own duplicate
	c, err := net.FileConn(hostFile)
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("pluginrpc: data socket: %w", err)
	}
	return c.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "runnel-plugin-data"), nil
}

// Close closes the data socket and unmaps the region. Call it only when
// no call uses the region (StorageClient.Detach).
func (r *Region) Close() error {
	_ = r.data.conn.Close()
	_ = r.child.Close()
	err := unix.Munmap(r.mem)
	if cerr := r.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// mapShared is the plugin side: map the inherited descriptor fd.
func mapShared(fd int, sizeBytes int64) ([]byte, func() error, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, nil, fmt.Errorf("pluginrpc: shared region fd %d: %w", fd, err)
	}
	if st.Size != sizeBytes {
		return nil, nil, fmt.Errorf("pluginrpc: shared region fd %d is %d bytes, want %d", fd, st.Size, sizeBytes)
	}
	mem, err := unix.Mmap(fd, 0, int(sizeBytes), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, nil, fmt.Errorf("pluginrpc: map shared region: %w", err)
	}
	return mem, func() error { return unix.Munmap(mem) }, nil
}

// DupFD duplicates fd, for handing a descriptor to the plugin side in
// the same process (bundletest), which takes ownership of what it gets.
func DupFD(fd int) (int, error) { return unix.Dup(fd) }
