package genesis

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// pemPrivateKey is the PEM block type of a PKCS#8 private key, the form
// openssl and every TLS library read.
const pemPrivateKey = "PRIVATE KEY"

// MarshalPrivateKey returns key as a PEM "PRIVATE KEY" block (PKCS#8).
func MarshalPrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("marshal private key: not an Ed25519 private key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParsePrivateKey parses one PEM "PRIVATE KEY" block (PKCS#8) holding an
// Ed25519 key. Errors never quote the input, since it is a secret.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	der, err := onePEMBlock(data, pemPrivateKey, "private key")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("malformed PKCS#8 private key")
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is %T, want Ed25519", k)
	}
	return key, nil
}

// WritePrivateKey writes key to path as PEM PKCS#8 with mode 0600,
// atomically, so a crash never leaves a half-written key behind.
func WritePrivateKey(path string, key ed25519.PrivateKey) error {
	data, err := MarshalPrivateKey(key)
	if err != nil {
		return fmt.Errorf("write private key %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, data, 0o600); err != nil {
		return fmt.Errorf("write private key %s: %w", path, err)
	}
	return nil
}

// ReadPrivateKey reads an Ed25519 private key written by WritePrivateKey
// (or any PEM PKCS#8 Ed25519 key, such as `openssl genpkey -algorithm
// ed25519` makes).
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("read private key %s: %w", path, err)
	}
	return key, nil
}

// WriteFileAtomic writes data to a temporary file in the same directory,
// syncs it and renames it over path: readers see the old file or the new
// one, never a torn write, and a secret never exists with a wider mode.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Sync the directory so the rename itself survives a crash.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
