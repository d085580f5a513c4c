package bbs04

import "fmt"

// Secrets format as a fixed redacted text under every verb (%v, %+v, %#v,
// %s, %x, %d, …), so a stray log line or error never carries a key.

// Format prints the issuer key redacted.
func (ik IssuerKey) Format(f fmt.State, _ rune) { redact(f, "IssuerKey", ik.pk) }

// Format prints the opener key redacted.
func (ok OpenerKey) Format(f fmt.State, _ rune) { redact(f, "OpenerKey", ok.pk) }

// Format prints the member key redacted.
func (mk MemberKey) Format(f fmt.State, _ rune) { redact(f, "MemberKey", mk.pk) }

// Format prints the registry redacted.
func (r Registry) Format(f fmt.State, _ rune) { redact(f, "Registry", r.pk) }

func redact(f fmt.State, typ string, pk *PublicKey) {
	epoch := "?"
	if pk != nil {
		epoch = fmt.Sprint(pk.epoch)
	}
	fmt.Fprintf(f, "groupsig.%s{epoch: %s, secret: REDACTED}", typ, epoch)
}
