// Cases for archreview's Semgrep pack (tests/test_external_analyzers.py): a `ruleid:` comment says the next line
// must be reported by that rule, an `ok:` comment that it must not; no other line may be reported.
const express = require('express');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const childProcess = require('child_process');
const _ = require('lodash');
const yaml = require('js-yaml');
const jwt = require('jsonwebtoken');
const app = express();

app.get('/code', (req, res) => {
  // ruleid: js-eval
  eval(req.query.expression);
  // ok: js-eval
  eval("1 + 1");
  // ruleid: js-code-injection-tainted
  setTimeout(req.query.later, 10);
  // ok: js-code-injection-tainted
  setTimeout(() => res.end(), 10);
});

app.get('/run', (req, res) => {
  // ruleid: js-child-process-shell, js-command-tainted, js-callback-error-ignored
  childProcess.exec('git log ' + req.query.branch, (err, out) => res.send(out));
  const branch = req.query.branch;
  // ruleid: js-command-tainted
  childProcess.exec(branch);
  // ok: js-child-process-shell, js-command-tainted
  childProcess.execFile('git', ['log', branch]);
});

app.get('/users', (req, res) => {
  // ruleid: js-sql-concat, js-sql-tainted
  db.query(`SELECT * FROM users WHERE name = '${req.query.name}'`);
  const filter = req.query.name;
  // ruleid: js-sql-tainted
  db.query(filter);
  // ok: js-sql-concat, js-sql-tainted
  db.query('SELECT * FROM users WHERE name = ?', [req.query.name]);
});

app.get('/file', (req, res) => {
  // ruleid: js-path-traversal, js-callback-error-ignored
  fs.readFile(path.join(__dirname, 'files', req.query.name), (err, data) => res.end(data));
  // ok: js-path-traversal
  res.sendFile(path.join(__dirname, 'files', path.basename(req.query.name)));
  // ruleid: js-path-traversal
  res.download(req.query.name);
  // ok: js-path-traversal
  res.download(req.query.name, { root: __dirname + '/files' });
  // ok: js-path-traversal
  res.sendFile(req.params.file, { root: 'public', dotfiles: 'deny' }, (err) => err && res.end());
});

app.get('/hello', (req, res) => {
  // ruleid: js-xss-response
  res.send('<h1>Hello ' + req.query.name + '</h1>');
  // ok: js-xss-response
  res.send('<h1>Hello ' + escapeHtml(req.query.name) + '</h1>');
  // ok: js-xss-response
  res.send(greetings[req.query.lang] || 'Hello');
  // ruleid: js-open-redirect
  res.redirect(req.query.next);
  // ok: js-open-redirect
  res.redirect('/home');
});

app.post('/login', async (req, res) => {
  // ruleid: js-nosql-injection
  const user = await User.findOne({ name: req.body.name, password: req.body.password });
  // ok: js-nosql-injection
  const safe = await User.findOne({ name: String(req.body.name) });
  // ruleid: js-nosql-where, js-nosql-injection
  const found = await db.collection('users').find({ $where: 'this.name == "' + req.body.name + '"' });
  // ok: js-nosql-where
  const constant = await db.collection('users').find({ $where: 'this.age > 18' });
});

app.post('/settings', (req, res) => {
  const settings = {};
  // ruleid: js-prototype-pollution
  _.merge(settings, req.body);
  // ok: js-prototype-pollution
  _.merge(settings, { theme: 'dark' });
  // ruleid: js-prototype-pollution
  settings[req.body.section][req.body.key] = req.body.value;
  const metadata = JSON.parse(req.body.metadata);
  // ruleid: js-prototype-pollution
  merge(fileData, metadata);
  // ok: js-prototype-pollution
  merge(fileData, { owner: 'system' });
  // ruleid: js-template-injection
  const html = ejs.render(req.body.template, {});
  // ok: js-template-injection
  const page = ejs.render('<p><%= name %></p>', { name: req.body.name });
});

function parse(text) {
  // ruleid: js-yaml-unsafe-load
  const config = yaml.load(text);
  // ok: js-yaml-unsafe-load
  const safeConfig = yaml.load(text, { schema: yaml.JSON_SCHEMA });
  // ruleid: js-xxe
  const doc = libxmljs.parseXml(text, { noent: true });
  // ok: js-xxe
  const plain = libxmljs.parseXml(text);
  // ok: js-insecure-deserialization
  const data = JSON.parse(text);
  // ruleid: js-insecure-deserialization
  return serialize.unserialize(text);
}

function currentUser(token) {
  // ruleid: js-jwt-not-verified
  return jwt.decode(token).sub;
}

function checkedUser(token) {
  const claims = jwt.verify(token, process.env.JWT_KEY, { algorithms: ['RS256'] });
  // ok: js-jwt-not-verified
  return jwt.decode(token, { complete: true }).header;
}

function issue(user) {
  // ruleid: js-hardcoded-signing-key
  return jwt.sign({ sub: user.id }, 'keyboard cat');
}

function issueFromConfig(user) {
  // ok: js-hardcoded-signing-key
  return jwt.sign({ sub: user.id }, process.env.JWT_KEY);
}

app.get('/cookie', (req, res) => {
  // ruleid: js-insecure-cookie
  res.cookie('session', req.sessionID, { httpOnly: false });
  // ok: js-insecure-cookie
  res.cookie('session', req.sessionID, { httpOnly: true, secure: true });
  // ruleid: js-cors-any-origin
  res.setHeader('Access-Control-Allow-Origin', '*');
  // ok: js-cors-any-origin
  res.setHeader('Access-Control-Allow-Origin', 'https://app.example.com');
});

// ruleid: js-cors-any-origin
app.use(cors());
// ok: js-cors-any-origin
app.use(cors({ origin: ['https://app.example.com'] }));

function render(element, html) {
  // ruleid: js-html-injection
  element.innerHTML = html;
  // ok: js-html-injection
  element.innerHTML = "<b>loading</b>";
}

function digests(data) {
  // ruleid: js-weak-hash
  const a = crypto.createHash('md5').update(data).digest('hex');
  // ok: js-weak-hash
  const b = crypto.createHash('sha256').update(data).digest('hex');
  // ruleid: js-weak-cipher
  const c = crypto.createCipheriv('des-ede3-cbc', key, iv);
  // ok: js-weak-cipher
  const d = crypto.createCipheriv('aes-256-gcm', key, iv);
}

function makeSessionToken() {
  // ruleid: js-insecure-random
  return Math.random().toString(36).slice(2);
}

function jitter() {
  // ok: js-insecure-random
  return Math.random() * 100;
}

function samples() {
  // ruleid: js-insecure-random-assigned
  const resetToken = Math.random().toString(36);
  // ok: js-insecure-random-assigned
  const delay = Math.random() * 100;
}

// ruleid: js-tls-verification-off
const agent = new https.Agent({
  rejectUnauthorized: false,
});
// ok: js-tls-verification-off
const checked = new https.Agent({ rejectUnauthorized: true });

// ruleid: js-hardcoded-secret
const apiKey = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
// ok: js-hardcoded-secret
const apiKeyFromEnv = process.env.API_KEY;

function quiet() {
  // ruleid: js-empty-catch
  try { fs.unlinkSync('/tmp/x'); } catch (e) {}
  // ok: js-empty-catch
  try { fs.unlinkSync('/tmp/x'); } catch (e) { console.error(e); }
}

function login(user, password) {
  // ruleid: js-secret-in-log
  console.log('login', user.name, password);
  // ok: js-secret-in-log
  console.log('login', user.name);
  // ruleid: js-secret-in-log
  logger.info('request', { path: req.path, authorization: req.headers.authorization });
  // ok: js-secret-in-log
  logger.info('request', { path: req.path, agent: req.headers['user-agent'] });
}

function keys(app, iv, config) {
  // ruleid: js-hardcoded-generated-key
  const AES_KEY = 'q8Zt4Lm29xR7vB1nK5pW';
  // ok: js-hardcoded-generated-key
  const CACHE_KEY = 'user_profile_cache_v1';
  // ruleid: js-hardcoded-key
  const cipher = crypto.createCipheriv('aes-256-gcm', 'my32characterslongsecretkey12345', iv);
  // ok: js-hardcoded-key
  const decipher = crypto.createDecipheriv('aes-256-gcm', config.key, iv);
  // ruleid: js-hardcoded-key
  app.use(session({ secret: 'keyboard cat', resave: false }));
  // ok: js-hardcoded-key
  app.use(session({ secret: process.env.SESSION_SECRET, resave: false }));
  return [cipher, decipher];
}

// tenth round (h3)
function tenth(db, req, res, needle, axios, mathjs, swig, callback) {
  try {
    db.save();
  } finally {
    // ruleid: js-return-in-finally
    return false;
  }
}

function tenthCleanFinally(db) {
  try {
    // ok: js-return-in-finally
    return db.save();
  } finally {
    db.close();
  }
}

function tenthCallbacks(users, callback) {
  // ruleid: js-callback-error-ignored
  users.find({}).toArray((err, list) => callback(null, list));
  // ok: js-callback-error-ignored
  users.find({}).toArray((err, list) => (err ? callback(err) : callback(null, list)));
}

function tenthFetch(req, res, needle, axios) {
  const url = req.query.url + req.query.symbol;
  // ruleid: js-ssrf-tainted, js-callback-error-ignored
  needle.get(url, (error, response, body) => res.end(body));
  // ok: js-ssrf-tainted
  axios.get('https://api.example.com/quotes/' + encodeURIComponent('x'));
}

function tenthEval(req, res, mathjs) {
  // ruleid: js-code-eval-library
  res.render('calc', { output: mathjs.eval(req.body.eqn) });
  // ok: js-code-eval-library
  res.render('calc', { output: mathjs.eval('3 + 3') });
}

function tenthRegex(value) {
  // ruleid: js-regex-nested-quantifier
  const unsafe = /([0-9]+)+\#/;
  // ok: js-regex-nested-quantifier
  const safe = /([0-9]+)\#/;
  return unsafe.test(value) && safe.test(value);
}

function tenthTemplates(swig, nunjucks) {
  // ruleid: js-template-autoescape-off
  swig.setDefaults({ autoescape: false });
  // ok: js-template-autoescape-off
  nunjucks.configure('views', { autoescape: true });
}

function tenthCatch(db, req, res, log) {
  // ruleid: js-catch-error-ignored
  db.query('SELECT 1').then(rows => res.json(rows)).catch(err => res.status(500).send('Internal Error'));
  // ok: js-catch-error-ignored
  db.query('SELECT 2').then(rows => res.json(rows)).catch(err => { log.error(err); res.status(500).end(); });
  // ruleid: js-catch-error-ignored
  db.query('SELECT 3').then(rows => res.json(rows)).catch(err => {
    res.status(500).send('Internal Error');
  });
}
