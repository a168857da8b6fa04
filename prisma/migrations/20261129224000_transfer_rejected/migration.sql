-- AlterEnum: file versions a scan refuses (a name that cannot be an object key) are recorded as rejected.
ALTER TYPE "TransferStatus" ADD VALUE 'rejected';
