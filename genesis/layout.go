package genesis

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
)

// InitOptions configures Init.
type InitOptions struct {
	ChainID    string
	Nodes      int      // node-1 .. node-Nodes; at least 1
	Validators int      // the first Validators nodes are listed in genesis; 0 means all
	Groups     []string // groups that exist from block 0
	// Members founds each group with these members (labels), each joined
	// on its own key the way a member would (it picks y; the issuer never
	// sees it), for local and test networks: their keys go under
	// DIR/members.
	Members []string
	// Suite is the groups' pairing type; 0 means BLS12-381.
	Suite    groupsig.Suite
	Hosts    []string      // extra SANs on every node certificate
	Validity time.Duration // node certificate lifetime; 0 means DefaultNodeValidity
	// ExpiryWindow is written to genesis.json; 0 means chain.DefaultExpiryWindow.
	ExpiryWindow uint64
	// Consensus is written to genesis.json: chain.ConsensusRaft ("" too)
	// or chain.ConsensusBFT.
	Consensus string
	Rand      io.Reader // nil means crypto/rand
}

// Layout names the files of a local network made by Init, so that the CLI
// and the node package never build these paths themselves:
//
//	DIR/genesis.json
//	DIR/admin.key                       consortium admin key (0600)
//	DIR/ca/ca.crt, DIR/ca/ca.key        chain CA (key 0600)
//	DIR/nodes/node-N/node.crt, node.key node N's certificate and key (0600)
//	DIR/groups/NAME.gpk, .issuer.key, .opener.key, .registry  (groupsig.IssuerDir)
//	DIR/groups/NAME.admin.key           the group issuer's admin key (0600)
//	DIR/members/LABEL.id.key, .crt      a founding member's identity key (0600) and certificate
//	DIR/members/LABEL.GROUP.key         its member key for GROUP (0600)
type Layout struct {
	Dir    string
	Nodes  int      // nodes are numbered 1..Nodes
	Groups []string // group names, in genesis order
}

// MembersDir is the directory of the founding members' keys.
func (l *Layout) MembersDir() string { return filepath.Join(l.Dir, "members") }

// MemberIdentityKey is the path of a founding member's identity key.
func (l *Layout) MemberIdentityKey(label string) string {
	return filepath.Join(l.MembersDir(), label+".id.key")
}

// MemberCert is the path of a founding member's identity certificate.
func (l *Layout) MemberCert(label string) string { return filepath.Join(l.MembersDir(), label+".crt") }

// MemberKey is the path of a founding member's key for group.
func (l *Layout) MemberKey(group, label string) string {
	return filepath.Join(l.MembersDir(), label+"."+group+".key")
}

// Genesis is the path of genesis.json.
func (l *Layout) Genesis() string { return filepath.Join(l.Dir, "genesis.json") }

// AdminKey is the path of the consortium admin's Ed25519 private key.
func (l *Layout) AdminKey() string { return filepath.Join(l.Dir, "admin.key") }

// CADir is the directory of the chain CA.
func (l *Layout) CADir() string { return filepath.Join(l.Dir, "ca") }

// CACert is the path of the chain CA certificate.
func (l *Layout) CACert() string { return filepath.Join(l.CADir(), "ca.crt") }

// CAKey is the path of the chain CA private key.
func (l *Layout) CAKey() string { return filepath.Join(l.CADir(), "ca.key") }

// NodesDir is the directory holding one directory per node.
func (l *Layout) NodesDir() string { return filepath.Join(l.Dir, "nodes") }

// NodeID is the id of node i (1-based): "node-i".
func (l *Layout) NodeID(i int) string { return "node-" + strconv.Itoa(i) }

// NodeDir is node i's directory; its data directory may live there too.
func (l *Layout) NodeDir(i int) string { return filepath.Join(l.NodesDir(), l.NodeID(i)) }

// NodeCert is the path of node i's certificate.
func (l *Layout) NodeCert(i int) string { return filepath.Join(l.NodeDir(i), "node.crt") }

// NodeKey is the path of node i's private key.
func (l *Layout) NodeKey(i int) string { return filepath.Join(l.NodeDir(i), "node.key") }

// GroupsDir is the directory of the groups' files.
func (l *Layout) GroupsDir() string { return filepath.Join(l.Dir, "groups") }

// GroupDir is the issuer's file layout of group name.
func (l *Layout) GroupDir(name string) groupsig.IssuerDir {
	return groupsig.IssuerDir{Dir: l.GroupsDir(), Name: name}
}

// GroupAdminKey is the path of group name's issuer admin Ed25519 key.
func (l *Layout) GroupAdminKey(name string) string {
	return filepath.Join(l.GroupsDir(), name+".admin.key")
}

// entries are the top-level names Init creates; any of them existing means
// a layout is already there.
func (l *Layout) entries() []string {
	return []string{l.Genesis(), l.AdminKey(), l.CADir(), l.NodesDir(), l.GroupsDir(), l.MembersDir()}
}

// Init creates a local network in dir: a chain CA, the consortium admin
// key, one certificate and key per node, the groups with their issuer
// admin keys, and genesis.json naming the validators and groups. It
// refuses to touch a directory that already holds any part of a layout,
// and removes what it wrote if it fails part way.
func Init(dir string, opts InitOptions) (*Layout, error) {
	if opts.Nodes < 1 {
		return nil, errors.New("init: need at least one node")
	}
	if opts.Validators < 0 || opts.Validators > opts.Nodes {
		return nil, fmt.Errorf("init: %d validators among %d nodes", opts.Validators, opts.Nodes)
	}
	if opts.Validators == 0 {
		opts.Validators = opts.Nodes
	}
	seen := map[string]bool{}
	for _, name := range opts.Groups {
		if !chain.ValidGroupName(name) || seen[name] {
			return nil, fmt.Errorf("init: group name %q is invalid or repeated", name)
		}
		seen[name] = true
	}
	if opts.ExpiryWindow == 0 {
		opts.ExpiryWindow = chain.DefaultExpiryWindow
	}
	rand := orDefault(opts.Rand)
	l := &Layout{Dir: dir, Nodes: opts.Nodes, Groups: append([]string(nil), opts.Groups...)}
	for _, p := range l.entries() {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("init: %s already exists; refusing to overwrite a network layout", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("init: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	// Mkdir, not MkdirAll: a concurrent Init into the same dir fails here.
	var created []string
	for _, d := range []string{l.CADir(), l.NodesDir(), l.GroupsDir()} {
		if err := os.Mkdir(d, 0o700); err != nil {
			l.remove(created)
			return nil, fmt.Errorf("init: %w", err)
		}
		created = append(created, d)
	}
	if err := l.write(opts, rand); err != nil {
		l.remove(l.entries())
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	return l, nil
}

func (l *Layout) remove(paths []string) {
	for _, p := range paths {
		os.RemoveAll(p)
	}
}

func (l *Layout) write(opts InitOptions, rand io.Reader) error {
	ca, err := NewCA(opts.ChainID, 0, rand)
	if err != nil {
		return err
	}
	if err := ca.Save(l.CACert(), l.CAKey()); err != nil {
		return err
	}
	adminPub, adminKey, err := ed25519.GenerateKey(rand)
	if err != nil {
		return fmt.Errorf("admin key: %w", err)
	}
	if err := WritePrivateKey(l.AdminKey(), adminKey); err != nil {
		return err
	}
	f := &File{
		ChainID:      opts.ChainID,
		GenesisTime:  time.Now().UTC().Truncate(time.Second),
		AdminKey:     hexString(adminPub),
		CACert:       string(ca.CertPEM()),
		Groups:       []Group{},
		ExpiryWindow: opts.ExpiryWindow,
		Consensus:    opts.Consensus,
	}
	for i := 1; i <= l.Nodes; i++ {
		certPEM, keyPEM, err := ca.IssueNode(l.NodeID(i), opts.Hosts, opts.Validity, rand)
		if err != nil {
			return err
		}
		if err := os.Mkdir(l.NodeDir(i), 0o700); err != nil {
			return err
		}
		if err := WriteFileAtomic(l.NodeCert(i), certPEM, 0o644); err != nil {
			return fmt.Errorf("write node cert %s: %w", l.NodeCert(i), err)
		}
		if err := WriteFileAtomic(l.NodeKey(i), keyPEM, 0o600); err != nil {
			return fmt.Errorf("write node key %s: %w", l.NodeKey(i), err)
		}
		if i <= opts.Validators {
			f.Validators = append(f.Validators, Validator{ID: l.NodeID(i), Cert: string(certPEM)})
		}
	}
	ids := map[string]ed25519.PrivateKey{}
	certs := map[string][]byte{}
	if len(opts.Members) > 0 {
		if err := os.Mkdir(l.MembersDir(), 0o700); err != nil {
			return err
		}
	}
	for _, label := range opts.Members {
		pub, id, err := ed25519.GenerateKey(rand)
		if err != nil {
			return fmt.Errorf("member %q identity: %w", label, err)
		}
		cert, err := ca.IssueMember("org-"+label, label, pub, 0, rand)
		if err != nil {
			return err
		}
		if err := WritePrivateKey(l.MemberIdentityKey(label), id); err != nil {
			return err
		}
		if err := WriteFileAtomic(l.MemberCert(label), cert, 0o644); err != nil {
			return err
		}
		ids[label], certs[label] = id, cert
	}
	suite := opts.Suite
	if suite == 0 {
		suite = groupsig.SuiteBLS12381
	}
	for _, name := range l.Groups {
		gd := l.GroupDir(name)
		gk, ip, op, err := gd.Create(suite, rand)
		if err != nil {
			return fmt.Errorf("group %q: %w", name, err)
		}
		issuerPub, issuerKey, err := ed25519.GenerateKey(rand)
		if err != nil {
			return fmt.Errorf("group %q admin key: %w", name, err)
		}
		if err := WritePrivateKey(l.GroupAdminKey(name), issuerKey); err != nil {
			return err
		}
		g := Group{Name: name, GroupKey: hexOf(gk), IssuerProof: hexOf(ip), OpenerProof: hexOf(op), AdminKey: hexString(issuerPub)}
		if len(opts.Members) > 0 {
			ik, reg, err := gd.Load()
			if err != nil {
				return err
			}
			for _, label := range opts.Members {
				req, js, err := groupsig.NewJoinRequest(gk, ip, op, label, ids[label], rand)
				if err != nil {
					return fmt.Errorf("group %q member %q: %w", name, label, err)
				}
				resp, err := reg.Issue(ik, req, rand)
				if err != nil {
					return fmt.Errorf("group %q member %q: %w", name, label, err)
				}
				mk, err := js.Finish(resp)
				if err != nil {
					return fmt.Errorf("group %q member %q: %w", name, label, err)
				}
				mf := &groupsig.MemberFile{Key: mk, Label: label, Group: gk}
				if err := mf.Write(l.MemberKey(name, label), false); err != nil {
					return err
				}
				g.Members = append(g.Members, Member{Request: hexOf(req), Response: hexOf(resp), Cert: string(certs[label])})
			}
			if err := gd.SaveRegistry(reg); err != nil {
				return err
			}
		}
		f.Groups = append(f.Groups, g)
	}
	// Check what we are about to hand out before writing it, last: a
	// directory with genesis.json in it is a complete layout.
	if _, err := f.Chain(); err != nil {
		return err
	}
	return f.Write(l.Genesis())
}

// LoadLayout opens a layout made by Init: it reads genesis.json for the
// group names, counts the node directories node-1, node-2, … and checks
// that the CA certificate is there.
func LoadLayout(dir string) (*Layout, error) {
	l := &Layout{Dir: dir}
	f, err := Read(l.Genesis())
	if err != nil {
		return nil, fmt.Errorf("load layout %s: %w", dir, err)
	}
	for _, g := range f.Groups {
		l.Groups = append(l.Groups, g.Name)
	}
	if _, err := os.Stat(l.CACert()); err != nil {
		return nil, fmt.Errorf("load layout %s: %w", dir, err)
	}
	for {
		if _, err := os.Stat(l.NodeCert(l.Nodes + 1)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			return nil, fmt.Errorf("load layout %s: %w", dir, err)
		}
		l.Nodes++
	}
	if l.Nodes == 0 {
		return nil, fmt.Errorf("load layout %s: no node directories (%s)", dir, l.NodeCert(1))
	}
	return l, nil
}

func hexOf(v interface{ MarshalBinary() ([]byte, error) }) string {
	b, _ := v.MarshalBinary()
	return hexString(b)
}
