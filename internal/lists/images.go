package lists

import (
	"listd/internal/archive"
	"listd/internal/imagemeta"
)

// Location data in photos: every post and private message has the metadata (Exif
// with GPS, XMP, IPTC) taken out of its JPEG, PNG and WebP images once, before
// anything is stored, so the archive keeps clean bytes and every way out (copies,
// digests, the web, IMAP, mbox) serves them. This is done on every list, anonymous
// or not: a home address in a photo is nobody's business on any list, and the
// archive may be public. A mail whose images have no metadata is left byte for byte
// as it is.

// cleanImages returns raw without image metadata, with its parse, and the names of
// images that claimed a known format but could not be read (left as they were).
func (s *Service) cleanImages(raw []byte, p *archive.Parsed) ([]byte, *archive.Parsed, []string) {
	out, res, err := imagemeta.CleanMessage(raw)
	if err != nil || res.Cleaned == 0 {
		return raw, p, res.Unreadable
	}
	np, err := archive.Parse(out)
	if err != nil {
		// The header did not change, so this does not happen; should it, the mail goes
		// on as received rather than being lost.
		s.log.Error("message unreadable after removing image metadata", "message_id", p.MessageID, "err", err)
		return raw, p, res.Unreadable
	}
	s.log.Info("image metadata removed", "message_id", p.MessageID, "images", res.Cleaned)
	return out, np, res.Unreadable
}

// imageRefusal refuses a post with images that could not be cleaned on an anonymous
// list, where the promise is that nothing identifies the poster; nil otherwise.
func (s *Service) imageRefusal(anonymous bool, unreadable []string) error {
	if anonymous && len(unreadable) > 0 {
		return s.unreadableImage()
	}
	return nil
}

func (s *Service) unreadableImage() *Rejection {
	return s.reject(554, [3]int{5, 6, 0}, "image_unreadable")
}
