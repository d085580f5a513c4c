package storage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// ErrBadBackup is wrapped by every error that refuses a backup stream:
// a wrong magic or format version, a record out of order or over its
// bound, a truncated stream, a record count or checksum that does not
// match, bytes after the end.
var ErrBadBackup = errors.New("bad backup")

// Backup stream format v1 (doc.go has it in full).
const (
	backupMagic   = "VEILBKUP"
	backupFormat  = 1
	tagRecord     = 0x01
	tagEnd        = 0x00
	maxLabelLen   = 255
	maxBackupKey  = 64 << 10
	maxBackupVal  = 64 << 20
	restoreBatch  = 4 << 20 // bytes a restore writes per LevelDB batch
	backupBufSize = 256 << 10
)

// BackupHeader opens a backup stream: what the snapshot it was taken from
// holds. Height and Head are the database's head in that snapshot (zero
// when it had none); Label is the caller's (the node puts the chain id).
type BackupHeader struct {
	Schema uint32
	Label  string
	Height uint64
	Head   [32]byte
}

// BackupSummary is a complete, checked backup stream: its header, its
// record count, its length and the SHA-256 of all its bytes.
type BackupSummary struct {
	Header  BackupHeader
	Records uint64
	Bytes   int64
	SHA256  [32]byte
}

// Backup writes a consistent copy of the whole database to w as a backup
// stream: every key and value of one LevelDB snapshot, so a block
// committed while it runs is wholly in the copy or wholly absent, and
// writers are never blocked. label is stored in the header (at most 255
// bytes). A write error stops it; what w got then has no valid end and
// is refused by every reader.
func (db *DB) Backup(w io.Writer, label string) (BackupSummary, error) {
	var sum BackupSummary
	if len(label) > maxLabelLen {
		return sum, fmt.Errorf("backup: label of %d bytes, at most %d", len(label), maxLabelLen)
	}
	snap, err := db.ldb.GetSnapshot()
	if err != nil {
		return sum, fmt.Errorf("backup %s: snapshot: %w", db.dir, err)
	}
	defer snap.Release()
	hdr := BackupHeader{Schema: schemaVersion, Label: label}
	switch v, err := snap.Get(keyHead, nil); {
	case errors.Is(err, leveldb.ErrNotFound):
	case err != nil:
		return sum, fmt.Errorf("backup %s: read head: %w", db.dir, wrapCorrupt(err))
	case len(v) != 8+32:
		return sum, fmt.Errorf("backup %s: head record has %d bytes: %w", db.dir, len(v), ErrCorrupt)
	default:
		hdr.Height = binary.BigEndian.Uint64(v)
		copy(hdr.Head[:], v[8:])
	}
	enc := newBackupEncoder(w)
	enc.header(hdr)
	it := snap.NewIterator(&util.Range{}, nil)
	defer it.Release()
	for it.Next() && enc.err == nil {
		enc.record(it.Key(), it.Value())
	}
	if err := it.Error(); err != nil {
		return sum, fmt.Errorf("backup %s: read: %w", db.dir, wrapCorrupt(err))
	}
	if sum, err = enc.finish(); err != nil {
		return sum, fmt.Errorf("backup %s: write: %w", db.dir, err)
	}
	sum.Header = hdr
	return sum, nil
}

// backupEncoder writes a backup stream, hashing every byte it writes.
type backupEncoder struct {
	bw      *bufio.Writer
	h       hash.Hash
	n       int64
	records uint64
	scratch []byte
	err     error
}

func newBackupEncoder(w io.Writer) *backupEncoder {
	e := &backupEncoder{h: sha256.New()}
	e.bw = bufio.NewWriterSize(io.MultiWriter(w, e.h), backupBufSize)
	return e
}

func (e *backupEncoder) write(b []byte) {
	if e.err != nil {
		return
	}
	n, err := e.bw.Write(b)
	e.n += int64(n)
	e.err = err
}

func (e *backupEncoder) uvarint(v uint64) {
	e.scratch = binary.AppendUvarint(e.scratch[:0], v)
	e.write(e.scratch)
}

func (e *backupEncoder) header(h BackupHeader) {
	e.write([]byte(backupMagic))
	e.write([]byte{backupFormat})
	e.uvarint(uint64(h.Schema))
	e.uvarint(uint64(len(h.Label)))
	e.write([]byte(h.Label))
	e.uvarint(h.Height)
	e.write(h.Head[:])
}

func (e *backupEncoder) record(k, v []byte) {
	e.write([]byte{tagRecord})
	e.uvarint(uint64(len(k)))
	e.write(k)
	e.uvarint(uint64(len(v)))
	e.write(v)
	e.records++
}

// finish writes the end tag, the record count and the SHA-256 of every
// byte before the checksum itself. The summary's SHA256 is of the whole
// stream, checksum included: what a manifest records of the file.
func (e *backupEncoder) finish() (BackupSummary, error) {
	e.write([]byte{tagEnd})
	e.uvarint(e.records)
	if e.err == nil {
		e.err = e.bw.Flush() // the hash sees bytes as they are flushed
	}
	e.write(e.h.Sum(nil))
	if e.err == nil {
		e.err = e.bw.Flush()
	}
	if e.err != nil {
		return BackupSummary{}, e.err
	}
	sum := BackupSummary{Records: e.records, Bytes: e.n}
	copy(sum.SHA256[:], e.h.Sum(nil))
	return sum, nil
}

// BackupReader decodes a backup stream and checks it as it goes: the
// header, keys in strictly ascending order, every length within bounds
// and its varints minimal, and at the end the record count and the
// checksum, with nothing after them. A stream that Next has not taken to
// io.EOF is not known to be whole.
type BackupReader struct {
	br      *bufio.Reader
	h       hash.Hash
	n       int64
	hdr     BackupHeader
	records uint64
	prev    []byte
	key     bytes.Buffer
	val     bytes.Buffer
	done    bool
	err     error
	sum     BackupSummary
}

// NewBackupReader reads and checks the stream's header.
func NewBackupReader(r io.Reader) (*BackupReader, error) {
	d := &BackupReader{br: bufio.NewReaderSize(r, backupBufSize), h: sha256.New()}
	var magic [len(backupMagic) + 1]byte
	if err := d.full(magic[:], "magic"); err != nil {
		return nil, err
	}
	if string(magic[:len(backupMagic)]) != backupMagic {
		return nil, fmt.Errorf("%w: not a veil backup (magic %q)", ErrBadBackup, magic[:len(backupMagic)])
	}
	if f := magic[len(backupMagic)]; f != backupFormat {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrBadBackup, f, backupFormat)
	}
	schema, err := d.uvarint("schema version", 1<<32-1)
	if err != nil {
		return nil, err
	}
	d.hdr.Schema = uint32(schema)
	ll, err := d.uvarint("label length", maxLabelLen)
	if err != nil {
		return nil, err
	}
	label := make([]byte, ll)
	if err := d.full(label, "label"); err != nil {
		return nil, err
	}
	d.hdr.Label = string(label)
	if d.hdr.Height, err = d.uvarint("height", 1<<64-1); err != nil {
		return nil, err
	}
	if err := d.full(d.hdr.Head[:], "head hash"); err != nil {
		return nil, err
	}
	return d, nil
}

// Header is the stream's header.
func (d *BackupReader) Header() BackupHeader { return d.hdr }

// Summary is the checked stream's summary; valid once Next returned
// io.EOF.
func (d *BackupReader) Summary() BackupSummary { return d.sum }

// Next returns the next record; the slices are valid until the next call.
// At the end it checks the record count and the checksum and returns
// io.EOF; any other error wraps ErrBadBackup (or is the reader's own) and
// repeats on every later call.
func (d *BackupReader) Next() (key, value []byte, err error) {
	if d.err != nil {
		return nil, nil, d.err
	}
	if d.done {
		return nil, nil, io.EOF
	}
	key, value, err = d.next()
	if err != nil && err != io.EOF {
		d.err = err
	}
	return key, value, err
}

func (d *BackupReader) next() ([]byte, []byte, error) {
	tag, err := d.byte1("record tag")
	if err != nil {
		return nil, nil, err
	}
	switch tag {
	case tagEnd:
		return nil, nil, d.end()
	case tagRecord:
	default:
		return nil, nil, d.bad("record %d: tag %#x", d.records, tag)
	}
	if err := d.bytes(&d.key, "key", maxBackupKey); err != nil {
		return nil, nil, err
	}
	k := d.key.Bytes()
	if len(k) == 0 {
		return nil, nil, d.bad("record %d: empty key", d.records)
	}
	if d.records > 0 && bytes.Compare(k, d.prev) <= 0 {
		return nil, nil, d.bad("record %d: keys out of order", d.records)
	}
	if err := d.bytes(&d.val, "value", maxBackupVal); err != nil {
		return nil, nil, err
	}
	d.prev = append(d.prev[:0], k...)
	d.records++
	return k, d.val.Bytes(), nil
}

// end checks the trailer: the record count, the checksum of every byte
// before it, and EOF.
func (d *BackupReader) end() error {
	count, err := d.uvarint("record count", 1<<64-1)
	if err != nil {
		return err
	}
	if count != d.records {
		return d.bad("trailer counts %d records, the stream holds %d", count, d.records)
	}
	want := d.h.Sum(nil)
	var got [32]byte
	if err := d.full(got[:], "checksum"); err != nil {
		return err
	}
	if !bytes.Equal(got[:], want) {
		return d.bad("checksum %x, the stream's bytes hash to %x", got[:8], want[:8])
	}
	if _, err := d.br.ReadByte(); err != io.EOF {
		if err != nil {
			return fmt.Errorf("read backup: %w", err)
		}
		return d.bad("bytes after the end")
	}
	d.done = true
	d.sum = BackupSummary{Header: d.hdr, Records: d.records, Bytes: d.n}
	copy(d.sum.SHA256[:], d.h.Sum(nil))
	return io.EOF
}

func (d *BackupReader) bad(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrBadBackup, d.n, fmt.Sprintf(format, args...))
}

// full reads len(b) bytes; a short stream is a truncated backup.
func (d *BackupReader) full(b []byte, what string) error {
	n, err := io.ReadFull(d.br, b)
	d.h.Write(b[:n])
	d.n += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return d.bad("truncated in the %s", what)
	}
	if err != nil {
		return fmt.Errorf("read backup: %w", err)
	}
	return nil
}

func (d *BackupReader) byte1(what string) (byte, error) {
	var b [1]byte
	if err := d.full(b[:], what); err != nil {
		return 0, err
	}
	return b[0], nil
}

// uvarint reads a minimal uvarint of at most max.
func (d *BackupReader) uvarint(what string, max uint64) (uint64, error) {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		b, err := d.byte1(what)
		if err != nil {
			return 0, err
		}
		if i == binary.MaxVarintLen64-1 && b > 1 {
			break
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if b == 0 && i > 0 {
				return 0, d.bad("%s: varint not minimal", what)
			}
			if v > max {
				return 0, d.bad("%s %d over its bound %d", what, v, max)
			}
			return v, nil
		}
	}
	return 0, d.bad("%s: varint overflows 64 bits", what)
}

// bytes reads a length-prefixed byte string into buf. The buffer grows as
// the bytes arrive, so a declared length costs nothing until they do.
func (d *BackupReader) bytes(buf *bytes.Buffer, what string, max uint64) error {
	n, err := d.uvarint(what+" length", max)
	if err != nil {
		return err
	}
	buf.Reset()
	got, err := io.CopyN(io.MultiWriter(buf, d.h), d.br, int64(n))
	d.n += got
	if err == io.EOF {
		return d.bad("truncated in record %d's %s", d.records, what)
	}
	if err != nil {
		return fmt.Errorf("read backup: %w", err)
	}
	return nil
}

// RestoreBackup writes the database a backup stream holds into dir, which
// must not exist or be empty. check, if not nil, sees the header before
// anything is written and can refuse it. The stream is written into a
// sibling directory (dir + ".restoring"), checked to its end, reopened
// to compare its head with the header, and only then renamed to dir: a
// truncated or corrupted backup leaves nothing at dir.
func RestoreBackup(dir string, r io.Reader, check func(BackupHeader) error) (BackupSummary, error) {
	var sum BackupSummary
	if err := emptyOrAbsent(dir); err != nil {
		return sum, fmt.Errorf("restore into %s: %w", dir, err)
	}
	d, err := NewBackupReader(r)
	if err != nil {
		return sum, err
	}
	hdr := d.Header()
	if hdr.Schema != schemaVersion {
		return sum, fmt.Errorf("%w: schema version %d, this build writes version %d", ErrBadBackup, hdr.Schema, schemaVersion)
	}
	if check != nil {
		if err := check(hdr); err != nil {
			return sum, err
		}
	}
	tmp := dir + ".restoring"
	if err := os.RemoveAll(tmp); err != nil { // a restore that died before
		return sum, fmt.Errorf("restore: clear %s: %w", tmp, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	if sum, err = writeBackup(tmp, d); err != nil {
		return sum, err
	}
	// Reopen it as the node will: schema version, head.
	db, err := Open(tmp, Options{})
	if err != nil {
		return sum, fmt.Errorf("restore: reopen: %w", err)
	}
	h, hash, _, err := db.Head()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	if h != hdr.Height || hash != hdr.Head {
		return sum, fmt.Errorf("%w: restored head is %d/%x, the header says %d/%x", ErrBadBackup, h, hash[:8], hdr.Height, hdr.Head[:8])
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return sum, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	ok = true
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	return sum, nil
}

// writeBackup writes d's records into a new LevelDB at dir in batches of
// about restoreBatch bytes, the last one synced.
func writeBackup(dir string, d *BackupReader) (BackupSummary, error) {
	ldb, err := openLevel("restored chain database", dir, levelOptions{writeBuf: DefaultOptions().WriteBufferSize})
	if err != nil {
		return BackupSummary{}, err
	}
	var b leveldb.Batch
	flush := func(sync bool) error {
		wo := &opt.WriteOptions{Sync: sync} // only the last batch syncs: it syncs the journal before it
		if err := ldb.Write(&b, wo); err != nil {
			return &WriteError{Dir: dir, Err: fmt.Errorf("restore: write: %w", err)}
		}
		b.Reset()
		return nil
	}
	for {
		k, v, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = ldb.Close()
			return BackupSummary{}, err
		}
		b.Put(k, v)
		if len(b.Dump()) >= restoreBatch {
			if err := flush(false); err != nil {
				_ = ldb.Close()
				return BackupSummary{}, err
			}
		}
	}
	err = flush(true)
	if cerr := ldb.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("restore: close: %w", cerr)
	}
	return d.Summary(), err
}

// emptyOrAbsent refuses a directory that holds anything.
func emptyOrAbsent(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("directory is not empty (%d entries, e.g. %s)", len(ents), ents[0].Name())
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
