// Round 13 cases: options objects kept in variables, reflected CORS origins, the environment in a response.
const jwt = require('jsonwebtoken');
const libxml = require('libxmljs');

// ruleid: js-jwt-not-verified
const verifyOptions = { issuer: 'https://example.com', algorithms: ['HS256', 'none'] };
// ruleid: js-jwt-not-verified
const lenient = { algorithms: ['HS256'], ignoreExpiration: true };
// ok: js-jwt-not-verified
const strict = { issuer: 'https://example.com', algorithms: ['HS256'] };

function readToken(req) {
  const token = req.headers.authorization.split(' ')[1];
  return [jwt.verify(token, process.env.JWT_SECRET, verifyOptions), jwt.verify(token, process.env.JWT_SECRET, strict)];
}

function importNotes(req, res) {
  // ruleid: js-xxe-options
  const parseOptions = { noent: true, dtdload: true };
  // ok: js-xxe-options
  const plainOptions = { dtdload: false };
  const doc = libxml.parseXml(req.body.xml, parseOptions);
  const other = libxml.parseXml(req.body.xml, plainOptions);
  res.send({ root: doc.root().name(), other: other.root().name() });
}

function allowCaller(req, res) {
  // ruleid: js-cors-reflected-origin
  res.header('Access-Control-Allow-Origin', req.get('origin'));
  // ok: js-cors-reflected-origin
  res.header('Access-Control-Allow-Origin', 'https://app.example.com');
  return res;
}

function info(req, res) {
  const result = { title: process.title, version: process.version, env: process.env };
  // ruleid: js-environment-in-response
  res.json(result);
}

function health(req, res) {
  // ok: js-environment-in-response
  res.json({ status: 'ok', port: process.env.PORT, mode: process.env['NODE_ENV'] });
}

module.exports = { readToken, importNotes, allowCaller, info, health, lenient };

async function searchNotes(req, res, collection, Note) {
  const items = await collection.find({ name: String(req.body.search) }).toArray();
  // ok: js-xss-response
  res.send(items);
  const note = await Note.findOne({ no: Number(req.params.noteId) });
  // ok: js-xss-response
  res.send(note);
  // ruleid: js-xss-response
  res.send(req.query.name);
}

module.exports.searchNotes = searchNotes;

function notes(app, config) {
  app.get('/n/:noteId', (req, res) => {
    // ok: js-open-redirect
    res.redirect(config.serverURL + '/' + req.params.noteId);
  });
  app.get('/s/:id', (req, res) => {
    // ok: js-open-redirect
    res.redirect('/notes/' + req.params.id);
  });
  app.get('/go', (req, res) => {
    // ruleid: js-open-redirect
    res.redirect('/' + req.query.next);
  });
}

module.exports.notes = notes;

function fingerprint(req, res, crypto, User) {
  // ok: js-nosql-injection
  const digest = crypto.createHash('sha256').update(req.query.password).digest('hex');
  // ruleid: js-nosql-injection
  User.findOne(req.body.filter).then((user) => res.json({ digest, id: user.id }));
}

module.exports.fingerprint = fingerprint;
