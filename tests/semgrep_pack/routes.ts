// TypeScript cases for archreview's Semgrep pack (Express and Angular in TypeScript syntax): `ruleid:` / `ok:`
// comments as in rules.js.
import { Request, Response, NextFunction } from 'express'
import { DomSanitizer, SafeHtml } from '@angular/platform-browser'
import * as jwt from 'jsonwebtoken'

export function login () {
  return (req: Request, res: Response, next: NextFunction) => {
    // ruleid: js-sql-concat, js-sql-tainted
    models.sequelize.query(`SELECT * FROM Users WHERE email = '${req.body.email || ''}'`, { model: UserModel })
      .then((user: any) => res.json(user))
    // ok: js-sql-concat, js-sql-tainted
    models.sequelize.query('SELECT * FROM Users WHERE email = $1', { bind: [req.body.email] })
  }
}

export function showReview () {
  return async (req: Request, res: Response) => {
    // ruleid: js-nosql-injection
    const review = await db.reviewsCollection.find({ _id: req.body.id })
    // ok: js-nosql-injection
    const user = await UserModel.findOne({ where: { id: req.body.id } })
    // ruleid: js-path-traversal
    res.sendFile(path.resolve('uploads/', req.params.file))
  }
}

export class ProductComponent {
  html: SafeHtml
  constructor (private readonly sanitizer: DomSanitizer) {}

  show (description: string): void {
    // ruleid: js-angular-bypass-sanitizer
    this.html = this.sanitizer.bypassSecurityTrustHtml(description)
    // ok: js-angular-bypass-sanitizer
    this.html = this.sanitizer.bypassSecurityTrustHtml('<b>fixed</b>')
  }
}

export function verify (token: string): boolean {
  // ruleid: js-jwt-not-verified
  return jwt.verify(token, publicKey, { algorithms: ['RS256', 'none'] }) !== null
}

export function safeVerify (token: string): boolean {
  // ok: js-jwt-not-verified
  return jwt.verify(token, publicKey, { algorithms: ['RS256'] }) !== null
}
