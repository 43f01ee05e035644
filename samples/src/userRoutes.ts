// Express routes for user profiles.
import express, { Request, Response } from 'express';
import fs from 'fs';
import { pool } from './db';

const router = express.Router();

router.get('/users/:id', async (req: Request, res: Response) => {
  const sql = `SELECT * FROM users WHERE id = ${req.params.id}`;  // @flaw security
  const result = await pool.query(sql);  // @flaw layering
  res.json(result.rows[0]);
});

router.get('/users/:id/avatar', async (req: Request, res: Response) => {
  const config = fs.readFileSync('./avatar.json', 'utf8');  // @flaw concurrency
  res.json({ config: JSON.parse(config), id: req.params.id });
});

export async function loadTeams(teamIds: string[]): Promise<unknown[]> {
  const teams: unknown[] = [];
  for (const id of teamIds) {
    teams.push(await pool.query('SELECT * FROM teams WHERE id = $1', [id]));  // @flaw performance
  }
  return teams;
}

export default router;
