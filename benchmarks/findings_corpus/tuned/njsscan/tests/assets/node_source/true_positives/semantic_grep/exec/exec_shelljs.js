const shell = require('shelljs');
const express = require('express')
const router = express.Router()

router.get('/greeting', (req, res) => {
    return shell.exec(req.query, { silent: true })
})

router.get('/foo', (req, res) => {
    const input = `ls ${req.query}`
    return shell.exec(input, { silent: true })
})
