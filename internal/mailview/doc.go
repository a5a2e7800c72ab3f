// Package mailview owns the reading view of an archived message: it turns the raw bytes
// as stored into HTML that is safe to embed in an archive page, and hands out its
// attachments with headers that cannot make a browser run anything.
//
// Plain text is preferred over HTML when a message has both (it is faster and safer);
// Options.PreferHTML renders the HTML alternative instead. HTML goes through bluemonday
// and then through a second pass over the parsed tree that enforces the same allow-list,
// blocks remote images, points cid: images at the caller's attachment URLs, and sets the
// link attributes.
//
// The MIME structure is read here, with mailmsg's header and multipart split, media
// type parser and lenient transfer decoder, rather than by enmime: the raw bytes are
// needed to repair a wrong charset declaration and to fall back to windows-1252 for
// undeclared 8-bit text, and enmime's part reader costs several times the whole
// rendering.
//
// Rendering is pure: the same bytes and options give the same view, so a caller may
// cache it.
//
// The HTML uses these classes, for the page's style sheet:
//
//	mv-text      a plain-text body: escaped text with its line breaks kept as "\n";
//	             it needs white-space: pre-wrap
//	mv-html      a sanitized HTML body (images need max-width: 100%)
//	mv-quote     a <blockquote> holding quoted lines, nested for deeper levels
//	mv-fold      a <details> around a long quote; its <summary> counts the lines
//	mv-sig       a <details> around the signature (the lines after "-- ")
//	mv-blocked   a <span> standing for a remote image that was not loaded
//	mv-sep       an <hr> between the body parts of a multipart/mixed message
//
// Nothing needs JavaScript and nothing carries a style attribute, so the page's
// Content-Security-Policy can forbid inline styles and scripts.
//
// Attachments must be served with the Content-Type and Content-Disposition that
// OpenAttachment returns, together with "X-Content-Type-Options: nosniff" (and,
// preferably, "Content-Security-Policy: sandbox") set by the caller.
package mailview
