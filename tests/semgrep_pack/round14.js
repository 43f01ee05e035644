// Cases for the round-14 rule js-catch-error-dropped (written for these tests).

function listItems(Item, req, res) {
  // ruleid: js-catch-error-dropped
  Item.findAll().then((items) => res.send(items)).catch(() => res.send('Something went wrong'));
  // ruleid: js-catch-error-dropped
  Item.count().then((n) => res.json({ n })).catch(function () { res.status(500).end(); });
  // ok: js-catch-error-dropped
  Item.findAll().then((items) => res.send(items)).catch(() => { console.error('listing failed'); res.send('failed'); });
  // ok: js-catch-error-dropped
  Item.findAll().then((items) => res.send(items)).catch((err) => next(err));
}
